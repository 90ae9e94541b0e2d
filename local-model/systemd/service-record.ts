import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { isSameProcess, processGroupMembers, sendSignal } from "./proc.js";

/**
 * <stateDir>/services.json: the services' processes as the daemon last knew them, so that processes left
 * behind by a daemon that died can be found and killed. Each is recorded with its start time from
 * /proc/<pid>/stat, so a PID that has since been reused by an unrelated process is left alone.
 */

const Count = z.number().int();
const RecordedProcessSchema = z.object({
  machine: z.string(),
  unit: z.string(),
  pid: Count.positive(),
  startTime: Count,
  processGroup: Count.positive(),
  groupLeaderStartTime: Count,
});
export type RecordedProcess = z.infer<typeof RecordedProcessSchema>;

const ServiceRecordSchema = z.object({
  daemonPid: Count,
  updatedAt: z.string(),
  processes: z.array(RecordedProcessSchema),
});

export function serviceRecordFile(stateDir: string): string {
  return path.join(stateDir, "services.json");
}

/** Keeps services.json current: writes are coalesced, ordered, and atomic (write then rename). */
export class ServiceRecordWriter {
  private dirty = false;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly stateDir: string,
    private readonly collect: () => RecordedProcess[],
  ) {}

  /** Something changed: the record is rewritten soon. */
  changed(): void {
    this.dirty = true;
    this.writing ??= this.drain();
  }

  /** Resolves once the record reflects every change so far. */
  flush(): Promise<void> {
    return this.writing ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        const record = { daemonPid: process.pid, updatedAt: new Date().toISOString(), processes: this.collect() };
        const file = serviceRecordFile(this.stateDir);
        await mkdir(this.stateDir, { recursive: true });
        await writeFile(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
        await rename(`${file}.tmp`, file);
      }
    } finally {
      this.writing = undefined;
    }
  }
}

const isAlive = (recorded: RecordedProcess) =>
  isSameProcess(recorded.pid, recorded.startTime) || processGroupMembers(recorded.processGroup, recorded.groupLeaderStartTime).length > 0;

function signalRecorded(recorded: RecordedProcess, signal: NodeJS.Signals): void {
  if (isSameProcess(recorded.pid, recorded.startTime)) sendSignal(recorded.pid, signal);
  if (processGroupMembers(recorded.processGroup, recorded.groupLeaderStartTime).length > 0) sendSignal(-recorded.processGroup, signal);
}

/**
 * Kills what the record lists and is still the same process (or group): SIGTERM, then SIGKILL to whatever
 * is left after `graceMs`. Removes the record. Returns the PIDs of the recorded processes that were alive.
 */
export async function killRecordedProcesses(stateDir: string, graceMs = 2_000): Promise<number[]> {
  const file = serviceRecordFile(stateDir);
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text === undefined) return [];
  let record: z.infer<typeof ServiceRecordSchema> | undefined;
  try {
    record = ServiceRecordSchema.parse(JSON.parse(text));
  } catch {
    record = undefined;
  }
  const alive = (record?.processes ?? []).filter(isAlive);
  for (const recorded of alive) signalRecorded(recorded, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (alive.some(isAlive) && Date.now() < deadline) await sleep(50);
  for (const recorded of alive.filter(isAlive)) signalRecorded(recorded, "SIGKILL");
  const killDeadline = Date.now() + 1_000;
  while (alive.some(isAlive) && Date.now() < killDeadline) await sleep(25);
  await rm(file, { force: true });
  return alive.map((recorded) => recorded.pid);
}
