import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import path from "node:path";
import type { FaultKind } from "./faults.js";
import { resolveExecutable } from "./systemd/exec-command.js";

export interface HookProcessResult {
  /** false when the charm has no handler for the event (Juju skips such a hook and still commits it). */
  readonly found: boolean;
  readonly exitCode: number;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  /** When the process started (epoch ms). */
  readonly startedAt: number;
  /** The fault the model injected into this run, when it took effect (faults.ts). */
  readonly injected?: FaultKind;
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** dispatch if the charm has one, else hooks/<name> or actions/<name> (contract §1.1). */
export async function findHandler(charmDir: string, location: "hooks" | "actions", name: string): Promise<string | undefined> {
  const dispatch = path.join(charmDir, "dispatch");
  if (await isExecutable(dispatch)) return dispatch;
  const explicit = path.join(charmDir, location, name);
  return (await isExecutable(explicit)) ? explicit : undefined;
}

export interface RunningHook {
  readonly done: Promise<HookProcessResult>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs one hook process the way Juju's runner does (contract §1.2): only the constructed environment, cwd
 * = charm dir, stdin from /dev/null, stdout and stderr captured; on its machine, in the machine's network
 * namespace (`nsenter --net` replaces itself with the handler, which keeps the PID and process group).
 */
export function runHookProcess(
  handler: string | undefined,
  charmDir: string,
  env: Record<string, string>,
  args: readonly string[] = [],
  networkNamespace?: string,
): RunningHook {
  const started = Date.now();
  if (!handler) {
    return { done: Promise.resolve({ found: false, exitCode: 0, signal: null, stdout: "", stderr: "", durationMs: 0, startedAt: started }), kill: () => {} };
  }
  const nsenter = networkNamespace === undefined ? undefined : resolveExecutable("nsenter");
  if (networkNamespace !== undefined && !nsenter) {
    const stderr = "the machine's network namespace needs nsenter (util-linux), which is not installed\n";
    return { done: Promise.resolve({ found: true, exitCode: 1, signal: null, stdout: "", stderr, durationMs: 0, startedAt: started }), kill: () => {} };
  }
  const [file, argv] = nsenter ? [nsenter, [`--net=${networkNamespace}`, "--", handler, ...args]] : [handler, [...args]];
  const child = spawn(file, argv, { cwd: charmDir, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  const done = new Promise<HookProcessResult>((resolve) => {
    child.on("error", (error) => {
      resolve({ found: true, exitCode: 1, signal: null, stdout: "", stderr: `${error.message}\n`, durationMs: Date.now() - started, startedAt: started });
    });
    child.on("close", (code, signal) => {
      resolve({
        found: true,
        exitCode: code ?? 1,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        durationMs: Date.now() - started,
        startedAt: started,
      });
    });
  });
  return {
    done,
    // The hook and everything it started (its process group), as Juju's runner kills a hook.
    kill: (signal = "SIGKILL") => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      }
    },
  };
}
