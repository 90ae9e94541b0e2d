import { describeExit } from "./exit-status.js";
import { processInfo } from "./proc.js";
import type { UnitView } from "./show-properties.js";
import { formatAge, formatTimestamp } from "./time-span.js";

/** The human-readable views: `systemctl status` and `systemctl list-units`. */

function loadReason(view: UnitView): string {
  const { loaded } = view.snapshot;
  switch (loaded.loadState) {
    case "not-found":
      return `not-found (Reason: Unit ${loaded.name} not found.)`;
    case "masked":
      return `masked (Reason: Unit ${loaded.name} is masked.)`;
    case "bad-setting":
      return `bad-setting (Reason: Unit ${loaded.name} has a bad unit file setting.)`;
    case "loaded":
      return `loaded (${loaded.fragmentPath}; ${view.unitFileState ?? "static"}; preset: enabled)`;
  }
}

function activeLine(view: UnitView, now: Date): string {
  const { snapshot } = view;
  const { activeState, subState, result, timestamps } = snapshot;
  const since = activeState === "active" ? timestamps.activeEnter : timestamps.stateChange;
  const resultText = result !== "success" && (activeState === "failed" || subState === "auto-restart") ? ` (Result: ${result})` : "";
  const sinceText = since ? ` since ${formatTimestamp(since)}; ${formatAge(since, now)}` : "";
  return `${activeState} (${subState})${resultText}${sinceText}`;
}

function mainPidLine(view: UnitView): string | undefined {
  const { mainPid, execMain } = view.snapshot;
  if (mainPid > 0) return `${mainPid} (${processInfo(mainPid)?.name ?? "?"})`;
  if (execMain?.exit && execMain.pid > 0) return `${execMain.pid} (${describeExit(execMain.exit)})`;
  return undefined;
}

const BULLETS: Readonly<Record<string, string>> = { active: "●", reloading: "●", activating: "●", deactivating: "●", failed: "×", inactive: "○" };

/** `systemctl status` for one unit, followed by its last journal lines. */
export function renderStatus(view: UnitView, journal: readonly string[], now = new Date()): string {
  const { snapshot } = view;
  const { loaded, definition } = snapshot;
  const description = definition?.description;
  const lines = [`${BULLETS[snapshot.activeState] ?? "●"} ${loaded.name}${description ? ` - ${description}` : ""}`];
  const field = (label: string, value: string) => lines.push(`${label.padStart(11)}: ${value}`);
  field("Loaded", loadReason(view));
  if (loaded.dropInPaths.length > 0) field("Drop-In", loaded.dropInPaths.join(", "));
  field("Active", activeLine(view, now));
  const mainPid = mainPidLine(view);
  if (mainPid) field("Main PID", mainPid);
  if (view.needDaemonReload) {
    lines.push(
      `Warning: The unit file, source configuration file or drop-ins of ${loaded.name} changed on disk. Run 'systemctl daemon-reload' to reload units.`,
    );
  }
  if (journal.length > 0) lines.push("", ...journal);
  return `${lines.join("\n")}\n`;
}

/** `systemctl list-units`: a table of units with a legend-free header and count. */
export function renderUnitList(views: readonly UnitView[], options: { readonly legend: boolean }): string {
  const rows = views.map((view) => {
    const { snapshot } = view;
    return [
      snapshot.activeState === "failed" ? "●" : " ",
      snapshot.loaded.name,
      snapshot.loaded.loadState,
      snapshot.activeState,
      snapshot.subState,
      snapshot.definition?.description || snapshot.loaded.name,
    ];
  });
  const header = [" ", "UNIT", "LOAD", "ACTIVE", "SUB", "DESCRIPTION"];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const format = (row: readonly string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell : column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join(" ")
      .trimEnd();
  const table = (options.legend ? [format(header)] : []).concat(rows.map(format));
  const footer = options.legend ? ["", `${rows.length} loaded units listed.`] : [];
  return `${[...table, ...footer].join("\n")}\n`;
}
