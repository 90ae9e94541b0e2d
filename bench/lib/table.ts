/** Plain-text tables for stdout: one header row, a rule, right-aligned numbers. */
export type Cell = string | number;
export type Row = readonly Cell[];

export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly Row[];
  readonly notes?: readonly string[];
}

/** Numbers get `digits` decimals (none for integers); NaN shows as "–". */
export function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return "–";
  return Number.isInteger(value) && digits === 0 ? String(value) : value.toFixed(digits);
}

export const seconds = (ms: number): string => fmt(ms / 1000, 1);

export function renderTable(table: Table): string {
  const text = (cell: Cell) => (typeof cell === "number" ? fmt(cell) : cell);
  const cells = table.rows.map((row) => row.map(text));
  const widths = table.columns.map((column, i) => Math.max(column.length, ...cells.map((row) => (row[i] ?? "").length)));
  const numeric = table.columns.map((_, i) => table.rows.every((row) => typeof row[i] === "number" || /^[-–0-9.,×%/ ]+[a-z%×]*$/.test(String(row[i] ?? ""))));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (numeric[i] && i > 0 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const out = [`## ${table.title}`, "", line(table.columns), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)];
  for (const note of table.notes ?? []) out.push(`  · ${note}`);
  return `${out.join("\n")}\n`;
}

/** What each benchmark hands back: its tables for stdout and everything measured for bench/latest.json. */
export interface BenchResult {
  readonly tables: readonly Table[];
  readonly data: Record<string, unknown>;
}
