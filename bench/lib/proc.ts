import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

/** Said in every report: why children start faster here than in a plain shell on this machine. */
export const ENV_NOTE =
  "NODE_EXTRA_CA_CERTS is unset in every child process: set, it makes every Node start read the CA bundle (table 1's host node rows measure the cost)";

/** NODE_EXTRA_CA_CERTS as the bench was started with it (read before run.ts removes it), to show its cost once. */
export const shellCaCerts: string | undefined = process.env.NODE_EXTRA_CA_CERTS;

/** The environment every child gets: the bench's own without NODE_EXTRA_CA_CERTS, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && key !== "NODE_EXTRA_CA_CERTS") env[key] = value;
  return { ...env, ...extra };
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit, in milliseconds. */
  readonly ms: number;
}

export interface RunOptions {
  readonly cwd?: string;
  /** The whole environment (no inheritance): childEnv() when absent. */
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
}

/** Runs a command to completion (killed after timeoutMs) and times it. Never throws for a failing exit. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? childEnv(), stdio: ["ignore", "pipe", "pipe"] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  return new Promise((resolve) => {
    const done = (code: number | null, error?: Error) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString("utf8") + (error ? `${error.message}\n` : "");
      resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr, ms: performance.now() - started });
    };
    child.on("error", (error) => done(null, error));
    child.on("close", (code) => done(code));
  });
}

/** Runs a command that must succeed; returns its stdout. */
export async function must(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.code}: ${result.stderr.trim().split("\n").slice(-3).join(" / ")}`);
  return result.stdout;
}

/** A command to time: how to run it once and the exit code it must give. */
export interface Timed {
  readonly once: () => Promise<RunResult>;
  readonly code?: number;
}

/**
 * `n` timed runs of every command after `warmups` untimed rounds, interleaved (one run of each per round,
 * the order rotating) so that a noisy neighbour weighs on all of them alike; durations in ms by name.
 */
export async function timeInterleaved(commands: Readonly<Record<string, Timed>>, n: number, warmups: number): Promise<Record<string, number[]>> {
  const names = Object.keys(commands);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < warmups + n; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]!;
      const { once, code = 0 } = commands[name]!;
      const result = await once();
      if (result.code !== code) throw new Error(`${name} exited ${result.code}: ${result.stderr.trim().split("\n").slice(-2).join(" / ")}`);
      if (round >= warmups) samples[name]!.push(result.ms);
    }
  }
  return samples;
}

/** Polls `probe` every intervalMs until it returns a value; throws after timeoutMs. */
export async function until<T>(what: string, timeoutMs: number, intervalMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() + intervalMs > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// --- cleanup: whatever a benchmark starts is stopped, on success, failure or Ctrl-C ----------------------

const cleanups = new Set<() => Promise<void>>();

/** Registers `undo`; the returned function runs it once and forgets it. */
export function onCleanup(undo: () => Promise<void>): () => Promise<void> {
  let done = false;
  const once = async () => {
    if (done) return;
    done = true;
    cleanups.delete(once);
    await undo();
  };
  cleanups.add(once);
  return once;
}

/** Runs every registered cleanup, newest first, ignoring their errors. */
export async function cleanupAll(): Promise<void> {
  for (const undo of [...cleanups].reverse()) await undo().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
}

/** Stops a child process: SIGTERM, then SIGKILL after graceMs; resolves when it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
