import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach } from "vitest";
import { processInfo } from "../../../local-model/systemd/proc.js";
import { ServiceManager, type Machine, type SystemctlResult } from "../../../local-model/systemd/service-manager.js";

/** A service that says it started and then waits; `exec` makes sleep the main process itself. */
export const SLEEPER = `/bin/sh -c 'echo started; exec sleep 1000'`;

/** A throwaway machine root and state directory, with a service manager, for one test. */
export interface ManagerFixture {
  readonly base: string;
  readonly machine: Machine;
  readonly stateDir: string;
  readonly manager: ServiceManager;
  /** Writes <root>/etc/systemd/system/<name>. */
  writeUnit(name: string, text: string): Promise<string>;
  systemctl(...args: string[]): Promise<SystemctlResult>;
  /** A show property's value. */
  property(unit: string, name: string): Promise<string>;
  /** The unit's MainPID (0 when none). */
  mainPid(unit: string): Promise<number>;
  /** Waits for a main process other than `previous` (after a restart) and returns its PID. */
  nextMainPid(unit: string, previous: number, timeoutMs?: number): Promise<number>;
  /** The unit's log. */
  journal(unit: string, lines?: number): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createFixture(machineName = "app/0"): Promise<ManagerFixture> {
  const base = await mkdtemp(path.join(tmpdir(), "service-manager-"));
  // Services may run as other users (User=), who must be able to reach files under the root.
  await chmod(base, 0o755);
  const root = path.join(base, "root");
  const unitDir = path.join(root, "etc", "systemd", "system");
  await mkdir(unitDir, { recursive: true });
  const machine = { name: machineName, root };
  const stateDir = path.join(base, "state");
  const manager = new ServiceManager({ stateDir });
  const systemctl = (...args: string[]) => manager.systemctl(machine, args);
  const property = async (unit: string, name: string) => (await systemctl("show", unit, `--property=${name}`, "--value")).stdout.trim();
  const mainPid = async (unit: string) => Number(await property(unit, "MainPID"));
  return {
    base,
    machine,
    stateDir,
    manager,
    async writeUnit(name, text) {
      const file = path.join(unitDir, name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
      return file;
    },
    systemctl,
    property,
    mainPid,
    nextMainPid(unit, previous, timeoutMs) {
      return waitFor(
        `a new main process of ${unit}`,
        async () => {
          const pid = await mainPid(unit);
          return pid !== 0 && pid !== previous ? pid : undefined;
        },
        timeoutMs,
      );
    },
    journal(unit, lines) {
      return manager.journal(machine, unit, lines);
    },
    async cleanup() {
      await manager.stopAll();
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Whether a process with this PID exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  const info = processInfo(pid);
  return info !== undefined && info.state !== "Z";
}

/**
 * A fresh fixture for each test of the calling file, cleaned up after it: the object returned stands for
 * whichever fixture the running test has.
 */
export function fixtureForEachTest(): ManagerFixture {
  let current: ManagerFixture | undefined;
  beforeEach(async () => {
    current = await createFixture();
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return new Proxy({} as ManagerFixture, {
    get(_target, key) {
      if (!current) throw new Error("the systemd fixture exists only while a test runs");
      const value: unknown = Reflect.get(current, key);
      return typeof value === "function" ? value.bind(current) : value;
    },
  });
}
