import type { ServiceResult } from "./exit-status.js";
import { changeUnitFiles, JOB_VERBS, killUnit, runJob, UNIT_FILE_VERBS } from "./job-verbs.js";
import { MachineUnits, readJournal, unitLogFile } from "./machine-units.js";
import { cat, checkActive, checkEnabled, listedViews, show, status } from "./query-verbs.js";
import { ServiceRecordWriter, killRecordedProcesses, type RecordedProcess } from "./service-record.js";
import { renderUnitList } from "./status-text.js";
import { completeUnitName, parseSystemctlArgs } from "./systemctl-args.js";
import { CallOutput, type SystemctlResult } from "./systemctl-output.js";
import type { Machine } from "./unit-lookup.js";
import type { ActiveState, SubState } from "./unit-state.js";

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
 * - User= drops privileges through `setpriv` (with the user's supplementary groups). "!" and "!!" are
 *   treated like "+": the command runs as root.
 * - A machine with a network namespace (Machine.networkNamespace) runs every command in it, through
 *   `nsenter --net`; there is no other namespacing. Behind that or another exec wrapper (prlimit, setpriv),
 *   argv[0] is the executable's path rather than the word as written, unless the "@" prefix names one.
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
export type { SystemctlResult } from "./systemctl-output.js";

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

const isOneOf = <T extends string>(values: readonly T[], value: string): value is T => (values as readonly string[]).includes(value);

export class ServiceManager {
  private readonly machines = new Map<string, MachineUnits>();
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
    const { operands, options } = parsed;
    const verb = parsed.verb ?? "list-units";
    const units = this.machineUnits(machine);
    const output = new CallOutput(options.quiet);
    const names = operands.map(completeUnitName);
    const invalid = names.find((name) => name.includes("/") || name.startsWith("."));
    if (invalid !== undefined) return { code: 1, stdout: "", stderr: `Invalid unit name "${invalid}".\n` };
    const needsUnits = (minimum = 1) => {
      if (names.length >= minimum) return true;
      output.fail(1, "Too few arguments.");
      return false;
    };
    if (isOneOf(JOB_VERBS, verb)) {
      if (needsUnits()) for (const name of names) await runJob(units, verb, name, options, output);
    } else if (isOneOf(UNIT_FILE_VERBS, verb)) {
      if (needsUnits()) await changeUnitFiles(units, verb, names, options, output);
    } else {
      switch (verb) {
        case "daemon-reload":
        case "daemon-reexec":
          await units.reload();
          break;
        case "kill":
          if (needsUnits()) for (const name of names) killUnit(units, name, options, output);
          break;
        case "reset-failed":
          for (const unit of names.length > 0 ? names.map((name) => units.units.get(name)) : [...units.units.values()]) unit?.resetFailed();
          break;
        case "is-active":
        case "is-failed":
          if (needsUnits()) await checkActive(units, verb, names, output);
          break;
        case "is-enabled":
          if (needsUnits()) await checkEnabled(units, names, output);
          break;
        case "show":
          await show(units, names, options, output);
          break;
        case "status":
          await status(units, names, options, output);
          break;
        case "list-units":
          output.print(renderUnitList(await listedViews(units, operands, options.all), { legend: !options.noLegend }));
          break;
        case "cat":
          if (needsUnits()) for (const name of names) await cat(units, name, output);
          break;
        case "--version":
          output.print("systemd 255 (local-model service manager)\n");
          break;
        default:
          output.fail(1, `Unknown command verb '${verb}'.`);
      }
    }
    return output.result();
  }

  /** The unit's log: the last `lines` lines (all when undefined), each ending in a newline. */
  journal(machine: Machine, unit: string, lines?: number): Promise<string> {
    const name = completeUnitName(unit);
    return readJournal(unitLogFile(this.options.stateDir, machine, name), this.machines.get(machine.name)?.logs.get(name), lines);
  }

  /** Stops every service of the machine and forgets it (the unit and its machine are going away). */
  async stopMachine(machine: Machine): Promise<void> {
    const units = this.machines.get(machine.name);
    if (!units) return;
    await Promise.all([...units.units.values()].map((unit) => unit.stop()));
    await Promise.all([...units.logs.values()].map((log) => log.close()));
    this.machines.delete(machine.name);
    this.record.changed();
    await this.record.flush();
  }

  /** Stops every service on every machine. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.machines.values()].map((units) => this.stopMachine(units.machine)));
    this.record.changed();
    await this.record.flush();
  }

  /** Every unit that is not inactive, on every machine, for the model's status. */
  runningServices(): ServiceSummary[] {
    const summaries: ServiceSummary[] = [];
    for (const units of this.machines.values()) {
      for (const unit of units.units.values()) {
        const snapshot = unit.snapshot();
        if (snapshot.activeState === "inactive") continue;
        summaries.push({
          machine: units.machine.name,
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
    return [...this.machines.values()].flatMap((units) =>
      [...units.units.values()].flatMap((unit) =>
        unit.liveProcesses().map((process) => ({
          machine: units.machine.name,
          unit: unit.name,
          pid: process.pid,
          startTime: process.startTime,
          processGroup: process.processGroup,
          groupLeaderStartTime: process.groupLeaderStartTime,
        })),
      ),
    );
  }

  private machineUnits(machine: Machine): MachineUnits {
    let units = this.machines.get(machine.name);
    if (!units) {
      units = new MachineUnits(machine, this.options.stateDir, () => this.record.changed());
      this.machines.set(machine.name, units);
    }
    units.machine = machine;
    return units;
  }
}
