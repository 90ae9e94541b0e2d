import type { ExecCommand } from "./exec-command.js";
import { exitCodeAndStatus, exitStatusText, signalNumber } from "./exit-status.js";
import { ownNoFileLimit } from "./proc.js";
import { formatTimeSpan, formatTimestamp } from "./time-span.js";
import type { UnitFileState } from "./unit-install.js";
import type { UnitSnapshot } from "./unit-state.js";

/**
 * The properties `systemctl show` prints for a service, named and formatted as systemd does, in one fixed
 * order (as systemd's is fixed: -p selects properties, it does not order them).
 */

/** A unit as `show`, `status` and `list-units` present it: its state plus its unit file's state on disk. */
export interface UnitView {
  readonly snapshot: UnitSnapshot;
  readonly unitFileState: UnitFileState | undefined;
  readonly needDaemonReload: boolean;
}

const yesNo = (value: boolean) => (value ? "yes" : "no");

const limitText = (value: number | null) => (value === null ? "infinity" : String(value));

function commandsText(commands: readonly ExecCommand[], snapshot: UnitSnapshot, isMain: boolean): string {
  const execMain = isMain ? snapshot.execMain : undefined;
  const exit = execMain?.exit;
  return commands
    .map(
      (command) =>
        `{ path=${command.executable} ; argv[]=${command.argv.join(" ")} ; ignore_errors=${yesNo(command.ignoreFailure)} ; ` +
        `start_time=[${formatTimestamp(execMain?.startedAt)}] ; stop_time=[${formatTimestamp(execMain?.exitedAt)}] ; ` +
        `pid=${execMain?.pid ?? 0} ; code=${exit ? (exit.signal !== null ? "killed" : "exited") : "(null)"} ; status=${exit ? exitStatusText(exit) : "0/0"} }`,
    )
    .join(" ");
}

/** Every property, in systemd's order, with its value ("" where systemd would print an empty value). */
export function unitProperties(view: UnitView): Array<readonly [string, string]> {
  const { snapshot } = view;
  const { loaded, definition, execMain, timestamps } = snapshot;
  const exit = execMain?.exit ? exitCodeAndStatus(execMain.exit) : undefined;
  const limit = definition?.limitNoFile ?? ownNoFileLimit();
  const loadError =
    loaded.loadState === "not-found"
      ? `org.freedesktop.systemd1.NoSuchUnit "Unit ${loaded.name} not found."`
      : loaded.loadState === "bad-setting"
        ? `org.freedesktop.systemd1.BadUnitSetting "Unit ${loaded.name} has a bad unit file setting."`
        : "";
  return [
    ["Type", definition?.type ?? "simple"],
    ["Restart", definition?.restart ?? "no"],
    ["PIDFile", definition?.pidFile ?? ""],
    ["RemainAfterExit", yesNo(definition?.remainAfterExit ?? false)],
    ["RestartUSec", formatTimeSpan(definition?.restartMs ?? 100)],
    ["TimeoutStartUSec", formatTimeSpan(definition ? definition.timeoutStartMs : 90_000)],
    ["TimeoutStopUSec", formatTimeSpan(definition ? definition.timeoutStopMs : 90_000)],
    ["MainPID", String(snapshot.mainPid)],
    ["ControlPID", String(snapshot.controlPid)],
    ["Result", snapshot.result],
    ["NRestarts", String(snapshot.nRestarts)],
    ["ExecMainStartTimestamp", formatTimestamp(execMain?.startedAt)],
    ["ExecMainExitTimestamp", formatTimestamp(execMain?.exitedAt)],
    ["ExecMainPID", String(execMain?.pid ?? 0)],
    ["ExecMainCode", String(exit?.code ?? 0)],
    ["ExecMainStatus", String(exit?.status ?? 0)],
    ["ExecStartPre", commandsText(definition?.execStartPre ?? [], snapshot, false)],
    ["ExecStart", commandsText(definition?.execStart ?? [], snapshot, true)],
    ["ExecStartPost", commandsText(definition?.execStartPost ?? [], snapshot, false)],
    ["ExecReload", commandsText(definition?.execReload ?? [], snapshot, false)],
    ["ExecStop", commandsText(definition?.execStop ?? [], snapshot, false)],
    ["ExecStopPost", commandsText(definition?.execStopPost ?? [], snapshot, false)],
    ["Environment", (definition?.environment ?? []).map(([name, value]) => `${name}=${value}`).join(" ")],
    ["EnvironmentFiles", (definition?.environmentFiles ?? []).map((file) => `${file.path} (ignore_errors=${yesNo(file.optional)})`).join(" ")],
    ["WorkingDirectory", definition?.workingDirectory ? `${definition.workingDirectory.optional ? "!" : ""}${definition.workingDirectory.path}` : ""],
    ["User", definition?.user ?? ""],
    ["Group", definition?.group ?? ""],
    ["LimitNOFILE", limitText(limit.hard)],
    ["LimitNOFILESoft", limitText(limit.soft)],
    ["KillMode", definition?.killMode ?? "control-group"],
    ["KillSignal", String(signalNumber(definition?.killSignal ?? "SIGTERM"))],
    ["Id", loaded.name],
    ["Names", loaded.name],
    ["WantedBy", view.unitFileState === "enabled" ? (definition?.install.wantedBy ?? []).join(" ") : ""],
    ["Description", definition?.description || loaded.name],
    ["LoadState", loaded.loadState],
    ["ActiveState", snapshot.activeState],
    ["SubState", snapshot.subState],
    ["FragmentPath", loaded.loadState === "masked" ? "" : (loaded.fragmentPath ?? "")],
    ["DropInPaths", loaded.dropInPaths.join(" ")],
    ["UnitFileState", view.unitFileState ?? ""],
    ["StateChangeTimestamp", formatTimestamp(timestamps.stateChange)],
    ["ActiveEnterTimestamp", formatTimestamp(timestamps.activeEnter)],
    ["ActiveExitTimestamp", formatTimestamp(timestamps.activeExit)],
    ["InactiveEnterTimestamp", formatTimestamp(timestamps.inactiveEnter)],
    ["InactiveExitTimestamp", formatTimestamp(timestamps.inactiveExit)],
    ["NeedDaemonReload", yesNo(view.needDaemonReload)],
    ["StartLimitIntervalUSec", formatTimeSpan(definition?.startLimit ? definition.startLimit.intervalMs : 0)],
    ["StartLimitBurst", String(definition?.startLimit?.burst ?? 0)],
    ["LoadError", loadError],
  ];
}

/**
 * `systemctl show` for one unit: KEY=VALUE lines (values only with --value). Without -p, properties with an
 * empty value are left out, as systemd does without --all.
 */
export function renderShow(view: UnitView, options: { readonly properties: readonly string[]; readonly valueOnly: boolean; readonly all: boolean }): string {
  const wanted = new Set(options.properties);
  const lines = unitProperties(view)
    .filter(([name, value]) => (wanted.size > 0 ? wanted.has(name) : options.all || value !== ""))
    .map(([name, value]) => (options.valueOnly ? value : `${name}=${value}`));
  return lines.map((line) => `${line}\n`).join("");
}
