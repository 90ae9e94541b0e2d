import { z } from "zod";
import { splitWords } from "./unit-words.js";

/**
 * A systemd unit file's syntax (systemd.syntax(7)): the text parsed into assignments, the rules by which
 * single-valued and list settings combine across the file and its drop-ins, and the [Install] section.
 * The service definition the manager runs is extracted in service-definition.ts.
 */

export interface UnitAssignment {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  /** "file:line", for warnings. */
  readonly origin: string;
}

export interface UnitFile {
  /** Every assignment in file order, unknown keys included; drop-ins follow the main file. */
  readonly assignments: readonly UnitAssignment[];
  readonly warnings: readonly string[];
}

/**
 * Parses unit file text. A line ending in an odd number of backslashes continues on the next line (the
 * backslash becomes a space); comment lines inside a continuation are skipped; whitespace around keys and
 * values is dropped.
 */
export function parseUnitFile(text: string, origin = "unit"): UnitFile {
  const assignments: UnitAssignment[] = [];
  const warnings: string[] = [];
  let section: string | undefined;
  let pending: { text: string; line: number } | undefined;
  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, "");
    const stripped = line.trimStart();
    if (stripped.startsWith("#") || stripped.startsWith(";")) return;
    const joined = pending ? `${pending.text}${line}` : stripped;
    const startLine = pending?.line ?? index + 1;
    const trailingBackslashes = joined.length - joined.replace(/\\+$/, "").length;
    if (trailingBackslashes % 2 === 1 && index < lines.length - 1) {
      pending = { text: `${joined.slice(0, -1)} `, line: startLine };
      return;
    }
    pending = undefined;
    const content = joined.trim();
    const where = `${origin}:${startLine}`;
    if (content === "") return;
    if (content.startsWith("[")) {
      if (!content.endsWith("]")) warnings.push(`${where}: invalid section header ${JSON.stringify(content)}, ignoring`);
      else section = content.slice(1, -1);
      return;
    }
    const equals = content.indexOf("=");
    if (equals < 0) {
      warnings.push(`${where}: missing '=', ignoring line`);
      return;
    }
    if (section === undefined) {
      warnings.push(`${where}: assignment outside of section, ignoring`);
      return;
    }
    assignments.push({ section, key: content.slice(0, equals).trim(), value: content.slice(equals + 1).trim(), origin: where });
  });
  return { assignments, warnings };
}

/** The main file followed by its drop-ins, as systemd applies them. */
export function combineUnitFiles(files: readonly UnitFile[]): UnitFile {
  return { assignments: files.flatMap((file) => file.assignments), warnings: files.flatMap((file) => file.warnings) };
}

function assignmentsOf(file: UnitFile, section: string, keys: readonly string[]): UnitAssignment[] {
  return file.assignments.filter((assignment) => assignment.section === section && keys.includes(assignment.key));
}

/** A single-valued setting: the last assignment wins and an empty one resets it to its default. */
export function settingValue(file: UnitFile, section: string, ...keys: string[]): UnitAssignment | undefined {
  const last = assignmentsOf(file, section, keys).at(-1);
  return last && last.value !== "" ? last : undefined;
}

/** A list setting: assignments accumulate and an empty one clears what came before it. */
export function settingList(file: UnitFile, section: string, ...keys: string[]): UnitAssignment[] {
  const list: UnitAssignment[] = [];
  for (const assignment of assignmentsOf(file, section, keys)) {
    if (assignment.value === "") list.length = 0;
    else list.push(assignment);
  }
  return list;
}

export const InstallInfoSchema = z.object({
  wantedBy: z.array(z.string()),
  requiredBy: z.array(z.string()),
  alias: z.array(z.string()),
  also: z.array(z.string()),
});
export type InstallInfo = z.infer<typeof InstallInfoSchema>;

/** The [Install] section's lists, which `enable`, `disable` and `is-enabled` act on. */
export function installInfo(file: UnitFile): InstallInfo {
  const words = (key: string) => settingList(file, "Install", key).flatMap((assignment) => splitWords(assignment.value));
  return { wantedBy: words("WantedBy"), requiredBy: words("RequiredBy"), alias: words("Alias"), also: words("Also") };
}
