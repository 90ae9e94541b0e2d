import { spawn } from "node:child_process";

/**
 * Runs one program without a shell and collects its output: what src/juju/ (hook tools) and src/etcd/
 * (etcdctl, systemctl, apt) start processes with. Node's own child_process, not execa: a hook starts a dozen
 * processes or more, and execa's options, streams and abort listeners cost its parent about 6 ms of CPU each
 * on top of Node's spawn (measured on a slow 2-core machine: 10-14 ms against 4-6 ms per /bin/true).
 */
export interface ProgramOptions {
  /** Added to this process's environment; with `replaceEnv`, the program's whole environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly replaceEnv?: boolean;
  /** Written to its stdin, which is then closed; without it stdin is /dev/null. */
  readonly input?: string;
  /** Sent SIGTERM after this long (and SIGKILL 5 s later); its exitCode is then undefined. */
  readonly timeoutMs?: number;
  /** Aborting sends SIGTERM, as a timeout does. */
  readonly signal?: AbortSignal;
  /** One trailing newline is cut from stdout and stderr unless this is false. */
  readonly stripFinalNewline?: boolean;
  /** Where its output goes: collected (the default) or discarded (a long-lived helper whose output no one reads). */
  readonly output?: "collect" | "ignore";
}

export interface ProgramOutcome {
  readonly stdout: string;
  readonly stderr: string;
  /** Undefined when it never started or was ended by a signal. */
  readonly exitCode: number | undefined;
  readonly signal?: NodeJS.Signals;
  /** Why it never started (ENOENT: no such program, EACCES: not executable). */
  readonly errorCode?: string;
  /** A sentence about how it ended, for error messages. */
  readonly reason: string;
}

/** A running program: `kill` ends it early; `outcome` settles when it has exited. */
export interface RunningProgram {
  readonly outcome: Promise<ProgramOutcome>;
  kill(signal?: NodeJS.Signals): void;
}

const FORCE_KILL_AFTER_MS = 5000;

export function startProgram(file: string, args: readonly string[], options: ProgramOptions = {}): RunningProgram {
  const env = options.replaceEnv ? { ...options.env } : { ...process.env, ...options.env };
  const collect = options.output !== "ignore";
  const child = spawn(file, [...args], {
    env,
    stdio: [options.input === undefined ? "ignore" : "pipe", collect ? "pipe" : "ignore", collect ? "pipe" : "ignore"],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
  if (options.input !== undefined && child.stdin) {
    // A program that exits without reading its input closes the pipe: that is its answer, not ours to raise.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input);
  }
  let forceKill: NodeJS.Timeout | undefined;
  const kill = (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    forceKill ??= setTimeout(() => child.kill("SIGKILL"), FORCE_KILL_AFTER_MS);
  };
  let timedOut = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          kill();
        }, options.timeoutMs);
  const onAbort = () => kill();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const text = (chunks: Buffer[]) => {
    const all = Buffer.concat(chunks).toString("utf8");
    return options.stripFinalNewline === false ? all : all.replace(/\r?\n$/, "");
  };
  const outcome = new Promise<ProgramOutcome>((resolve) => {
    let startError: NodeJS.ErrnoException | undefined;
    child.on("error", (error: NodeJS.ErrnoException) => {
      startError = error;
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (forceKill) clearTimeout(forceKill);
      options.signal?.removeEventListener("abort", onAbort);
      const reason = startError
        ? `${file}: ${startError.message}`
        : timedOut
          ? `${file} timed out after ${options.timeoutMs} ms`
          : signal
            ? `${file} was killed by ${signal}`
            : `${file} exited with ${code}`;
      resolve({
        stdout: text(stdout),
        stderr: text(stderr),
        exitCode: startError || signal ? undefined : (code ?? undefined),
        ...(signal ? { signal } : {}),
        ...(startError?.code ? { errorCode: startError.code } : {}),
        reason,
      });
    });
  });
  return { outcome, kill };
}

/** Runs the program to its end. Never throws: a program that could not start has `errorCode` and no exitCode. */
export function runProgram(file: string, args: readonly string[], options: ProgramOptions = {}): Promise<ProgramOutcome> {
  return startProgram(file, args, options).outcome;
}
