import { readFile } from "node:fs/promises";
import type { MachineUnits } from "./machine-units.js";
import { renderShow, type UnitView } from "./show-properties.js";
import { renderStatus, renderUnitList } from "./status-text.js";
import type { SystemctlOptions } from "./systemctl-args.js";
import { EXIT_NOT_RUNNING, EXIT_STATUS_UNKNOWN, type CallOutput } from "./systemctl-output.js";
import { unitFileState } from "./unit-install.js";
import { isActive, type ActiveState } from "./unit-state.js";

/** The systemctl verbs that only look: is-active, is-failed, is-enabled, show, status, list-units, cat. */

export async function checkActive(units: MachineUnits, verb: "is-active" | "is-failed", names: readonly string[], output: CallOutput): Promise<void> {
  const wanted = verb === "is-active" ? isActive : (activeState: ActiveState) => activeState === "failed";
  let any = false;
  for (const name of names) {
    const activeState = units.units.get(name)?.activeState ?? "inactive";
    output.print(`${activeState}\n`);
    any ||= wanted(activeState);
  }
  if (!any) output.code = verb === "is-active" ? EXIT_NOT_RUNNING : 1;
}

export async function checkEnabled(units: MachineUnits, names: readonly string[], output: CallOutput): Promise<void> {
  let any = false;
  for (const name of names) {
    const fileState = await unitFileState(units.machine, name);
    if (fileState === undefined) {
      output.fail(1, `Failed to get unit file state for ${name}: No such file or directory`);
      continue;
    }
    output.print(`${fileState}\n`);
    any ||= fileState === "enabled" || fileState === "static";
  }
  output.code = any ? 0 : 1;
}

export async function show(units: MachineUnits, names: readonly string[], options: SystemctlOptions, output: CallOutput): Promise<void> {
  if (names.length === 0) {
    output.print("Version=255 (local-model service manager)\nSystemState=running\n");
    return;
  }
  const sections: string[] = [];
  for (const name of names) sections.push(renderShow(await units.view(name), { properties: options.properties, valueOnly: options.value, all: options.all }));
  output.print(sections.join("\n"));
}

export async function status(units: MachineUnits, names: readonly string[], options: SystemctlOptions, output: CallOutput): Promise<void> {
  if (names.length === 0) {
    output.print(renderUnitList(await listedViews(units, [], false), { legend: true }));
    return;
  }
  const sections: string[] = [];
  let code = 0;
  for (const name of names) {
    const view = await units.view(name);
    if (view.snapshot.loaded.loadState === "not-found" && !units.units.has(name)) {
      output.fail(EXIT_STATUS_UNKNOWN, `Unit ${name} could not be found.`);
      continue;
    }
    const journal = await units.journal(name, options.lines ?? 10);
    sections.push(renderStatus(view, journal === "" ? [] : journal.trimEnd().split("\n")));
    if (!isActive(view.snapshot.activeState) && code === 0) code = EXIT_NOT_RUNNING;
  }
  output.print(sections.join("\n"));
  if (output.code === 0) output.code = code;
}

/** A unit name glob ("*" and "?") as a regular expression. */
function globPattern(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replaceAll("*", ".*").replaceAll("?", ".")}$`);
}

/** Units for list-units: loaded ones that are not inactive (all with --all), filtered by name patterns. */
export async function listedViews(units: MachineUnits, patterns: readonly string[], all: boolean): Promise<UnitView[]> {
  const matchers = patterns.map(globPattern);
  const names = [...units.units.keys()].filter((name) => matchers.length === 0 || matchers.some((matcher) => matcher.test(name))).sort();
  const views = await Promise.all(names.map((name) => units.view(name)));
  return views.filter((view) => all || view.snapshot.activeState !== "inactive");
}

/** `systemctl cat`: the unit file and its drop-ins, each under a "# <path>" line. */
export async function cat(units: MachineUnits, name: string, output: CallOutput): Promise<void> {
  const { loaded } = await units.resolve(name);
  if (loaded.fragmentPath === undefined || loaded.loadState === "masked") return output.fail(1, `No files found for ${name}.`);
  const files = [loaded.fragmentPath, ...loaded.dropInPaths];
  const texts = await Promise.all(files.map(async (file) => `# ${file}\n${await readFile(file, "utf8")}`));
  output.print(texts.join("\n"));
}
