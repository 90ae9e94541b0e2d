import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { childEnv, onCleanup, run, stopChild, until } from "./proc.js";

/** A process a hook started, by what it finally ran (a tool wrapper's sh execs node: one process). */
export interface SpawnedProcess {
  readonly pid: number;
  readonly kind: "charm-node" | "hook-tool" | "systemctl" | "etcdctl" | "other";
  /** It began as the charm's dispatch: a hook starts here. */
  readonly dispatch: boolean;
  /** The tool's name, the etcdctl subcommand or the program. */
  readonly what: string;
  readonly start: number;
  readonly end: number | undefined;
}

export async function straceAvailable(): Promise<boolean> {
  return (await run("strace", ["-V"])).code === 0;
}

/**
 * strace -f on a running process (the model's controller): every successful execve and process exit of it
 * and its descendants, timestamped. Slows what it traces: use it to count, never to time.
 */
export async function traceExecs(pid: number, out: string): Promise<{ stop: () => Promise<SpawnedProcess[]> }> {
  // Not -q: strace says "Process N attached" on stderr once it traces, which a loaded machine may delay.
  const child: ChildProcess = spawn("strace", ["-f", "-z", "-tt", "-e", "trace=execve", "-e", "signal=none", "-s", "256", "-o", out, "-p", String(pid)], {
    env: childEnv(),
    stdio: ["ignore", "ignore", "pipe"],
  });
  const release = onCleanup(() => stopChild(child));
  let said = "";
  child.stderr?.on("data", (chunk: Buffer) => (said += chunk.toString("utf8")));
  await until("strace to attach", 15_000, 100, async () =>
    said.includes("attached") ? true : child.exitCode !== null ? Promise.reject(new Error(`strace: ${said.trim()}`)) : undefined,
  );
  return {
    stop: async () => {
      await release();
      return parseTrace(await readFile(out, "utf8"));
    },
  };
}

/** The strings of an strace argv array. */
function argv(text: string): string[] {
  return [...text.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!);
}

const clock = (time: string) => {
  const [h, m, s] = time.split(":").map(Number) as [number, number, number];
  return ((h * 60 + m) * 60 + s) * 1000;
};

function classify(file: string, args: readonly string[]): Pick<SpawnedProcess, "kind" | "what"> {
  const base = file.split("/").pop() ?? file;
  if (args.includes("dist/charm.mjs")) return { kind: "charm-node", what: "bin/node dist/charm.mjs" };
  // Hook tools are symlinks to the model's jujuc in the unit's tools dir; its systemctl is a wrapper that execs jujuc.
  if (base === "jujuc" && args[1] === "systemctl") return { kind: "systemctl", what: args.slice(3).join(" ") };
  if (/\/tools\/[^/]+$/.test(file) && base !== "systemctl") return { kind: "hook-tool", what: base };
  if (base === "etcdctl")
    return {
      kind: "etcdctl",
      what: args
        .filter((arg) => !arg.startsWith("-"))
        .slice(1, 3)
        .join(" "),
    };
  return { kind: "other", what: base };
}

export function parseTrace(text: string): SpawnedProcess[] {
  const byPid = new Map<number, { first: string; file: string; args: string[]; start: number; end?: number }>();
  for (const line of text.split("\n")) {
    const exec = /^(\d+) (\S+) execve\("([^"]+)", \[(.*?)\](?:, 0x[0-9a-f]+| \/\*)/.exec(line);
    if (exec) {
      const pid = Number(exec[1]);
      const previous = byPid.get(pid);
      // A machine's processes start as `nsenter --net=… --` (its network namespace), which execs the command:
      // the process began as what nsenter ran.
      const first = previous === undefined || previous.first.endsWith("/nsenter") ? exec[3]! : previous.first;
      byPid.set(pid, { first, file: exec[3]!, args: argv(exec[4]!), start: previous?.start ?? clock(exec[2]!) });
      continue;
    }
    const exit = /^(\d+) (\S+) \+\+\+ (exited|killed)/.exec(line);
    const known = exit ? byPid.get(Number(exit[1])) : undefined;
    if (exit && known) known.end = clock(exit[2]!);
  }
  return [...byPid.entries()]
    .map(([pid, p]) => ({ pid, ...classify(p.file, p.args), dispatch: p.first.endsWith("/dispatch"), start: p.start, end: p.end }))
    .sort((a, b) => a.start - b.start);
}

/** The processes each hook started: everything after a dispatch until the next one (hooks of one unit run in turn). */
export function perHook(processes: readonly SpawnedProcess[]): SpawnedProcess[][] {
  const hooks: SpawnedProcess[][] = [];
  for (const p of processes) {
    if (p.dispatch) hooks.push([]);
    hooks[hooks.length - 1]?.push(p);
  }
  return hooks;
}

/**
 * Hook-tool and etcdctl calls grouped into phases: calls whose lifetimes overlap ran concurrently (one
 * Promise.all), a phase ends when all its calls have exited. Sizes, in order, e.g. [9, 1, 1, 1, 1, 1, 1].
 */
export function callPhases(processes: readonly SpawnedProcess[]): Array<{ tools: number; etcdctl: number }> {
  const phases: Array<{ tools: number; etcdctl: number }> = [];
  let end = -Infinity;
  for (const p of processes) {
    if (p.kind !== "hook-tool" && p.kind !== "systemctl" && p.kind !== "etcdctl") continue;
    if (phases.length === 0 || p.start >= end) phases.push({ tools: 0, etcdctl: 0 });
    const phase = phases[phases.length - 1]!;
    if (p.kind === "etcdctl") phase.etcdctl++;
    else phase.tools++;
    end = Math.max(end, p.end ?? p.start);
  }
  return phases;
}
