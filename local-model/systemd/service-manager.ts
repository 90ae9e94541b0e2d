import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ServiceResult } from "./exit-status.js";
import { killRecordedProcesses, ServiceRecordWriter, type RecordedProcess } from "./service-record.js";
import { idleSnapshot, ServiceUnit, type ActiveState, type SubState } from "./service-unit.js";
import { renderShow, type UnitView } from "./show-properties.js";
import { renderStatus, renderUnitList } from "./status-text.js";
import { completeUnitName, parseSystemctlArgs, type SystemctlOptions } from "./systemctl-args.js";
import { parseSignal } from "./unit-file.js";
import { disableUnit, enableUnit, maskUnit, unitFileState, unmaskUnit, type InstallOutcome } from "./unit-install.js";
import { loadUnit, unitFingerprint, type LoadedUnit, type Machine } from "./unit-lookup.js";
import { tailLines, UnitLog } from "./unit-log.js";

/**
 * A small service manager that stands in for systemd on the local model's simulated machines, which have
 * no systemd of their own: each unit's `systemctl` is forwarded to the model daemon, which calls
 * ServiceManager.systemctl() with the unit's machine. Units are read from the machine's root
 * (<root>/etc/systemd/system, then run/, lib/ and usr/lib/systemd/system) and run as real processes on the
 * host.
 *
 * Deviations from systemd, and why:
 * - No cgroups: a service's processes are the process group of each command it ran (spawned in a new
 *   session). A process that leaves its group (setsid, double fork without PIDFile=) escapes stop.
 * - Type=notify is treated like Type=exec: there is no notify socket (NOTIFY_SOCKET is not set), so the
 *   service is "active" once its process has been executed, not when it sends READY=1. Type=forking takes
 *   the main PID from PIDFile= or, without one, the lowest PID left in the start command's process group;
 *   that daemon is not our child, so its exit is noticed by polling /proc and counts as a failure.
 * - Start rate limiting applies only when StartLimitIntervalSec= or StartLimitBurst= is set (systemd
 *   defaults to 5 starts per 10 s); an interval or burst of 0 means unlimited, as in systemd.
 * - A manual start or restart resets NRestarts; automatic restarts count it up.
 * - Paths inside unit files (ExecStart=, EnvironmentFile=, WorkingDirectory=, PIDFile=) are host paths: the
 *   charm renders them already prefixed with the machine's root. Only unit lookup and enable/mask links are
 *   relative to the machine's root. User=/Group= are looked up in the host's user database.
 * - LimitNOFILE= is applied (through `prlimit`), lowered to the daemon's own hard limit when the daemon may
 *   not raise it (no CAP_SYS_RESOURCE, as in many containers; the journal says so), where systemd would
 *   fail the start with 205/LIMITS. Other Limit*= settings, sandboxing (Protect*=, PrivateTmp=,
 *   ReadWritePaths=, NoNewPrivileges=), Nice=, IO scheduling, dependencies (After=, Wants=, Requires=),
 *   conditions, SuccessExitStatus=, RestartPreventExitStatus=, watchdogs and socket activation are kept in
 *   the parsed file but not applied. Core dumps are reported as Result=signal.
 * - User= drops privileges through `setpriv` (with the user's supplementary groups); with it or with
 *   LimitNOFILE=, the "@" prefix cannot choose argv[0] (the exec wrappers replace themselves with the
 *   command). "!" and "!!" are treated like "+": the command runs as root.
 * - Control commands (ExecStartPre=, ExecStop=, …) that outlive their timeout are killed with SIGKILL at once.
 * - Once loaded, a unit stays loaded: after its file changes, a daemon-reload is always needed (systemd may
 *   unload an unreferenced inactive unit and read the new file on next use). A not-found unit is looked up
 *   again on every use. enable/disable/mask/unmask reload the machine's units, as systemctl does.
 * - Only .service units exist; other unit types are "not found". Only list-units takes unit name globs.
 * - %-specifiers: only %n %N %p %i %I %H (the machine's name) %l %t and %% are known; others make the
 *   setting invalid (ignored with a warning in the unit's journal).
 * - The journal is a plain log file per machine and unit (<stateDir>/logs/<machine>/<unit>.log, "/" in a
 *   machine name becoming "-") with UTC ISO timestamps; `journalctl` is not provided, see journal().
 * - A daemon restart does not adopt running services: call ServiceManager.killRecorded(stateDir) before
 *   constructing a new manager on the same stateDir, then start what should run.
 */

export type { Machine } from "./unit-lookup.js";

export interface SystemctlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A unit that is not inactive: running, starting, stopping, waiting to restart, or failed. */
export interface ServiceSummary {
  readonly machine: string;
  readonly unit: string;
  readonly activeState: ActiveState;
  readonly subState: SubState;
  readonly mainPid: number;
  readonly nRestarts: number;
  readonly result: ServiceResult;
  /** When the unit entered its current state. */
  readonly since: Date | undefined;
}

export interface ServiceManagerOptions {
  /** Where logs and services.json are kept. */
  readonly stateDir: string;
}

interface MachineState {
  machine: Machine;
  readonly units: Map<string, ServiceUnit>;
  readonly logs: Map<string, UnitLog>;
}

/** systemctl's exit status for "unit not found/not loaded" (EXIT_PROGRAM_OR_SERVICES_STATUS_UNKNOWN). */
const EXIT_NOT_FOUND = 5;
/** is-active and status: "program is not running". */
const EXIT_NOT_RUNNING = 3;
const EXIT_STATUS_UNKNOWN = 4;

/** Collects what one systemctl call prints; the first failure decides the exit status. */
class CallOutput {
  stdout = "";
  stderr = "";
  code = 0;

  constructor(private readonly quiet: boolean) {}

  print(text: string): void {
    if (!this.quiet) this.stdout += text;
  }

  /** Informational stderr lines (symlink changes); --quiet suppresses them. */
  inform(text: string): void {
    if (!this.quiet) this.stderr += text.endsWith("\n") ? text : `${text}\n`;
  }

  fail(code: number, message: string): void {
    this.stderr += message.endsWith("\n") ? message : `${message}\n`;
    if (this.code === 0) this.code = code;
  }

  result(): SystemctlResult {
    return { code: this.code, stdout: this.stdout, stderr: this.stderr };
  }
}

function jobFailedMessage(name: string, result: ServiceResult): string {
  const reasons: Partial<Record<ServiceResult, string>> = {
    "start-limit-hit": "start of the service was attempted too often",
    timeout: "a timeout was exceeded",
    signal: "a fatal signal was delivered to the control process",
    resources: "of unavailable resources or another system error",
    protocol: "the service did not take the steps required by its unit configuration",
  };
  const lines = [
    `Job for ${name} failed because ${reasons[result] ?? "the control process exited with error code"}.`,
    `See "systemctl status ${name}" and "journalctl -xeu ${name}" for details.`,
  ];
  if (result === "start-limit-hit") lines.push(`To force a start use "systemctl reset-failed ${name}" followed by "systemctl start ${name}" again.`);
  return lines.join("\n");
}

const isActive = (state: ActiveState) => state === "active" || state === "reloading";

export class ServiceManager {
  private readonly machines = new Map<string, MachineState>();
  private readonly record: ServiceRecordWriter;

  constructor(private readonly options: ServiceManagerOptions) {
    this.record = new ServiceRecordWriter(options.stateDir, () => this.recordedProcesses());
  }

  /** Kills the processes a previous daemon recorded in <stateDir>/services.json and left running. */
  static killRecorded(stateDir: string): Promise<number[]> {
    return killRecordedProcesses(stateDir);
  }

  /** Runs one `systemctl` command line on the machine, as the machine's systemctl would. */
  async systemctl(machine: Machine, args: readonly string[]): Promise<SystemctlResult> {
    const parsed = parseSystemctlArgs(args);
    if (!parsed.ok) return { code: 1, stdout: "", stderr: `${parsed.message}\n` };
    const { verb, operands, options } = parsed;
    const state = this.machineState(machine);
    const output = new CallOutput(options.quiet);
    const names = operands.map(completeUnitName);
    const invalid = names.find((name) => name.includes("/") || name.startsWith("."));
    if (invalid !== undefined) return { code: 1, stdout: "", stderr: `Invalid unit name "${invalid}".\n` };
    const needsUnits = (minimum = 1) => {
      if (names.length >= minimum) return true;
      output.fail(1, "Too few arguments.");
      return false;
    };
    switch (verb ?? "list-units") {
      case "daemon-reload":
      case "daemon-reexec":
        await this.reloadMachine(state);
        break;
      case "start":
      case "stop":
      case "restart":
      case "try-restart":
      case "condrestart":
      case "reload":
      case "reload-or-restart":
      case "try-reload-or-restart":
      case "force-reload":
        if (needsUnits()) for (const name of names) await this.runJob(state, verb!, name, options, output);
        break;
      case "kill":
        if (needsUnits()) for (const name of names) await this.kill(state, name, options, output);
        break;
      case "reset-failed":
        for (const unit of names.length > 0 ? names.map((name) => state.units.get(name)) : [...state.units.values()]) unit?.resetFailed();
        break;
      case "enable":
      case "disable":
      case "mask":
      case "unmask":
        if (needsUnits()) await this.changeUnitFiles(state, verb!, names, options, output);
        break;
      case "is-active":
      case "is-failed":
        if (needsUnits()) await this.checkActive(state, verb!, names, output);
        break;
      case "is-enabled":
        if (needsUnits()) await this.checkEnabled(state, names, output);
        break;
      case "show":
        await this.show(state, names, options, output);
        break;
      case "status":
        await this.status(state, names, options, output);
        break;
      case "list-units":
        output.print(renderUnitList(await this.listedViews(state, operands, options.all), { legend: !options.noLegend }));
        break;
      case "cat":
        if (needsUnits()) for (const name of names) await this.cat(state, name, output);
        break;
      case "--version":
        output.print("systemd 255 (local-model service manager)\n");
        break;
      default:
        output.fail(1, `Unknown command verb '${verb}'.`);
    }
    return output.result();
  }

  /** The unit's log: the last `lines` lines (all when undefined), each ending in a newline. */
  async journal(machine: Machine, unit: string, lines?: number): Promise<string> {
    const name = completeUnitName(unit);
    await this.machines.get(machine.name)?.logs.get(name)?.flush();
    const tail = await tailLines(this.logFile(machine, name), lines);
    return tail.map((line) => `${line}\n`).join("");
  }

  /** Stops every service of the machine and forgets it (the unit and its machine are going away). */
  async stopMachine(machine: Machine): Promise<void> {
    const state = this.machines.get(machine.name);
    if (!state) return;
    await Promise.all([...state.units.values()].map((unit) => unit.stop()));
    await Promise.all([...state.logs.values()].map((log) => log.close()));
    this.machines.delete(machine.name);
    this.record.changed();
    await this.record.flush();
  }

  /** Stops every service on every machine. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.machines.values()].map((state) => this.stopMachine(state.machine)));
    this.record.changed();
    await this.record.flush();
  }

  /** Every unit that is not inactive, on every machine, for the model's status. */
  runningServices(): ServiceSummary[] {
    const summaries: ServiceSummary[] = [];
    for (const state of this.machines.values()) {
      for (const unit of state.units.values()) {
        const snapshot = unit.snapshot();
        if (snapshot.activeState === "inactive") continue;
        summaries.push({
          machine: state.machine.name,
          unit: unit.name,
          activeState: snapshot.activeState,
          subState: snapshot.subState,
          mainPid: snapshot.mainPid,
          nRestarts: snapshot.nRestarts,
          result: snapshot.result,
          since: snapshot.timestamps.stateChange,
        });
      }
    }
    return summaries;
  }

  private recordedProcesses(): RecordedProcess[] {
    return [...this.machines.values()].flatMap((state) =>
      [...state.units.values()].flatMap((unit) =>
        unit.processes().map((process) => ({
          machine: state.machine.name,
          unit: unit.name,
          pid: process.pid,
          startTime: process.startTime,
          processGroup: process.processGroup,
          groupLeaderStartTime: process.groupLeaderStartTime,
        })),
      ),
    );
  }

  private machineState(machine: Machine): MachineState {
    let state = this.machines.get(machine.name);
    if (!state) {
      state = { machine, units: new Map(), logs: new Map() };
      this.machines.set(machine.name, state);
    }
    state.machine = machine;
    return state;
  }

  private logFile(machine: Machine, unitName: string): string {
    return path.join(this.options.stateDir, "logs", machine.name.replaceAll("/", "-"), `${unitName}.log`);
  }

  private logFor(state: MachineState, unitName: string): UnitLog {
    let log = state.logs.get(unitName);
    if (!log) {
      log = new UnitLog(this.logFile(state.machine, unitName));
      state.logs.set(unitName, log);
    }
    return log;
  }

  /**
   * The unit as the manager has it loaded; a unit not loaded yet (or not found before) is read from disk.
   * Returns the load result alone for a unit that is not found.
   */
  private async resolve(state: MachineState, name: string): Promise<{ unit: ServiceUnit | undefined; loaded: LoadedUnit }> {
    const known = state.units.get(name);
    if (known && known.loaded.loadState !== "not-found") return { unit: known, loaded: known.loaded };
    const loaded = await loadUnit(state.machine, name);
    const current = state.units.get(name);
    if (current) {
      current.replaceLoaded(loaded);
      return { unit: current, loaded };
    }
    if (loaded.loadState === "not-found") return { unit: undefined, loaded };
    const log = this.logFor(state, name);
    for (const warning of loaded.warnings) log.note(name, warning);
    const unit = new ServiceUnit({ machine: state.machine, log, processesChanged: () => this.record.changed() }, loaded);
    state.units.set(name, unit);
    return { unit, loaded };
  }

  private async needsDaemonReload(state: MachineState, unit: ServiceUnit): Promise<boolean> {
    return unit.loaded.loadState !== "not-found" && unit.loaded.fingerprint !== (await unitFingerprint(state.machine, unit.name));
  }

  private async warnIfChanged(state: MachineState, unit: ServiceUnit, output: CallOutput): Promise<void> {
    if (await this.needsDaemonReload(state, unit)) {
      output.stderr += `Warning: The unit file, source configuration file or drop-ins of ${unit.name} changed on disk. Run 'systemctl daemon-reload' to reload units.\n`;
    }
  }

  /** daemon-reload: every loaded unit is read again; running processes are left as they are. */
  private async reloadMachine(state: MachineState): Promise<void> {
    for (const [name, unit] of state.units) {
      const loaded = await loadUnit(state.machine, name);
      if (loaded.loadState === "not-found" && unit.activeState === "inactive") {
        state.units.delete(name);
        continue;
      }
      for (const warning of loaded.warnings) this.logFor(state, name).note(name, warning);
      unit.replaceLoaded(loaded);
    }
  }

  private async view(state: MachineState, name: string): Promise<UnitView> {
    const { unit, loaded } = await this.resolve(state, name);
    return {
      snapshot: unit ? unit.snapshot() : idleSnapshot(loaded),
      unitFileState: await unitFileState(state.machine, name),
      needDaemonReload: unit ? await this.needsDaemonReload(state, unit) : false,
    };
  }

  /** start, stop, restart and the reload verbs for one unit. */
  private async runJob(state: MachineState, verb: string, name: string, options: SystemctlOptions, output: CallOutput): Promise<void> {
    const { unit } = await this.resolve(state, name);
    const loadState = unit?.loaded.loadState ?? "not-found";
    const failedTo = `Failed to ${verb} ${name}`;
    if (!unit || loadState === "not-found") {
      output.fail(EXIT_NOT_FOUND, `${failedTo}: Unit ${name} ${verb === "stop" ? "not loaded" : "not found"}.`);
      return;
    }
    await this.warnIfChanged(state, unit, output);
    const starts = verb !== "stop";
    if (starts && loadState === "masked") return output.fail(1, `${failedTo}: Unit ${name} is masked.`);
    if (starts && loadState === "bad-setting") {
      return output.fail(1, `${failedTo}: Unit ${name} has a bad unit file setting.\nSee system logs and 'systemctl status ${name}' for details.`);
    }
    const active = isActive(unit.activeState);
    const canReload = (unit.definition?.execReload.length ?? 0) > 0;
    let job: Promise<{ ok: boolean; result?: ServiceResult }>;
    switch (verb) {
      case "start":
        job = unit.start();
        break;
      case "stop":
        job = unit.stop();
        break;
      case "restart":
        job = unit.restart();
        break;
      case "try-restart":
      case "condrestart":
        job = unit.tryRestart();
        break;
      case "reload":
        if (!canReload) return output.fail(1, `${failedTo}: Job type reload is not applicable for unit ${name}.`);
        if (!active) return output.fail(1, `${failedTo}: Unit ${name} cannot be reloaded because it is inactive.`);
        job = unit.reload();
        break;
      case "reload-or-restart":
        job = active && canReload ? unit.reload() : unit.restart();
        break;
      default:
        // try-reload-or-restart, force-reload: only an active unit is touched.
        job = active && canReload ? unit.reload() : unit.tryRestart();
    }
    if (options.noBlock) {
      void job.catch(() => undefined);
      return;
    }
    const outcome = await job;
    if (!outcome.ok) output.fail(1, jobFailedMessage(name, outcome.result ?? "exit-code"));
  }

  private async kill(state: MachineState, name: string, options: SystemctlOptions, output: CallOutput): Promise<void> {
    let signal: NodeJS.Signals;
    try {
      signal = parseSignal(options.signal ?? "SIGTERM");
    } catch {
      return output.fail(1, `Failed to parse signal string ${options.signal}.`);
    }
    const unit = state.units.get(name);
    if (!unit) return output.fail(1, `Failed to kill unit ${name}: Unit ${name} not loaded.`);
    if (!unit.kill(signal, options.killWhom as "all" | "main" | "control")) output.fail(1, `Failed to kill unit ${name}: No process to kill`);
  }

  private async changeUnitFiles(state: MachineState, verb: string, names: readonly string[], options: SystemctlOptions, output: CallOutput): Promise<void> {
    const operation: Record<string, (machine: Machine, name: string) => Promise<InstallOutcome>> = {
      enable: enableUnit,
      disable: disableUnit,
      mask: maskUnit,
      unmask: unmaskUnit,
    };
    for (const name of names) {
      const outcome = await operation[verb]!(state.machine, name);
      for (const message of outcome.messages) output.inform(message);
      if (outcome.error) return output.fail(1, `Failed to ${verb} unit: ${outcome.error}`);
    }
    if (!options.noReload) await this.reloadMachine(state);
    if (!options.now || verb === "unmask") return;
    for (const name of names) await this.runJob(state, verb === "enable" ? "start" : "stop", name, { ...options, quiet: false }, output);
  }

  private async checkActive(state: MachineState, verb: string, names: readonly string[], output: CallOutput): Promise<void> {
    const wanted = verb === "is-active" ? isActive : (activeState: ActiveState) => activeState === "failed";
    let any = false;
    for (const name of names) {
      const activeState = state.units.get(name)?.activeState ?? "inactive";
      output.print(`${activeState}\n`);
      any ||= wanted(activeState);
    }
    if (!any) output.code = verb === "is-active" ? EXIT_NOT_RUNNING : 1;
  }

  private async checkEnabled(state: MachineState, names: readonly string[], output: CallOutput): Promise<void> {
    let any = false;
    for (const name of names) {
      const fileState = await unitFileState(state.machine, name);
      if (fileState === undefined) {
        output.fail(1, `Failed to get unit file state for ${name}: No such file or directory`);
        continue;
      }
      output.print(`${fileState}\n`);
      any ||= fileState === "enabled" || fileState === "static";
    }
    output.code = any ? 0 : 1;
  }

  private async show(state: MachineState, names: readonly string[], options: SystemctlOptions, output: CallOutput): Promise<void> {
    if (names.length === 0) {
      output.print("Version=255 (local-model service manager)\nSystemState=running\n");
      return;
    }
    const sections: string[] = [];
    for (const name of names)
      sections.push(renderShow(await this.view(state, name), { properties: options.properties, valueOnly: options.value, all: options.all }));
    output.print(sections.join("\n"));
  }

  private async status(state: MachineState, names: readonly string[], options: SystemctlOptions, output: CallOutput): Promise<void> {
    if (names.length === 0) {
      output.print(renderUnitList(await this.listedViews(state, [], false), { legend: true }));
      return;
    }
    const sections: string[] = [];
    let code = 0;
    for (const name of names) {
      const view = await this.view(state, name);
      if (view.snapshot.loaded.loadState === "not-found" && !state.units.has(name)) {
        output.fail(EXIT_STATUS_UNKNOWN, `Unit ${name} could not be found.`);
        continue;
      }
      const journal = await this.journal(state.machine, name, options.lines ?? 10);
      sections.push(renderStatus(view, journal === "" ? [] : journal.trimEnd().split("\n")));
      if (!isActive(view.snapshot.activeState) && code === 0) code = EXIT_NOT_RUNNING;
    }
    output.print(sections.join("\n"));
    if (output.code === 0) output.code = code;
  }

  /** Units for list-units: loaded ones that are not inactive (all with --all), filtered by name patterns. */
  private async listedViews(state: MachineState, patterns: readonly string[], all: boolean): Promise<UnitView[]> {
    const matchers = patterns.map(
      (pattern) =>
        new RegExp(
          `^${pattern
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replaceAll("*", ".*")
            .replaceAll("?", ".")}$`,
        ),
    );
    const names = [...state.units.keys()].filter((name) => matchers.length === 0 || matchers.some((matcher) => matcher.test(name))).sort();
    const views = await Promise.all(names.map((name) => this.view(state, name)));
    return views.filter((view) => all || view.snapshot.activeState !== "inactive");
  }

  private async cat(state: MachineState, name: string, output: CallOutput): Promise<void> {
    const { loaded } = await this.resolve(state, name);
    if (loaded.fragmentPath === undefined || loaded.loadState === "masked") return output.fail(1, `No files found for ${name}.`);
    const files = [loaded.fragmentPath, ...loaded.dropInPaths];
    const texts = await Promise.all(files.map(async (file) => `# ${file}\n${await readFile(file, "utf8")}`));
    output.print(texts.join("\n"));
  }
}
