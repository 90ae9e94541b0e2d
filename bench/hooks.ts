/**
 * 1. Hook overhead: what one hook costs on the packed charm, from the bare Node start (the floor) to an
 * update-status on an idle, healthy unit of a real local model (TLS, the charm's default, beside plaintext),
 * and what the processes a hook spawns cost.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { extractCharmArchive } from "../local-model/charm-archive.js";
import { BenchModel } from "./lib/model.js";
import { childEnv, onCleanup, run, shellCaCerts, timeInterleaved, until, type Timed } from "./lib/proc.js";
import { median, ratio, summarize, sum } from "./lib/stats.js";
import { type ClientTls, tlsFlags } from "../src/etcd/etcdctl.js";
import { callPhases, perHook, straceAvailable, traceExecs, type SpawnedProcess } from "./lib/strace.js";
import { fmt, type BenchResult, type Row, type Table } from "./lib/table.js";

export interface HookOptions {
  readonly charm: string;
  /** The TLS model's /24, and the plaintext model's (`--config tls=false`). */
  readonly subnet: string;
  readonly plainSubnet: string;
  /** Timed runs per command, after `warmups` untimed ones. */
  readonly runs: number;
  readonly warmups: number;
  /** update-status runs to time in the model, and to trace. */
  readonly updateStatusRuns: number;
  readonly tracedRuns: number;
  /** update-status runs and the costs of their parts are measured in this many alternating blocks. */
  readonly blocks: number;
}

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export async function hookBenchmark(options: HookOptions): Promise<BenchResult> {
  const work = await mkdtemp(path.join(tmpdir(), "bench-hooks-"));
  const removeWork = onCleanup(() => rm(work, { recursive: true, force: true }));
  try {
    return await measure(options, work);
  } finally {
    await removeWork();
  }
}

async function measure(options: HookOptions, work: string): Promise<BenchResult> {
  const { runs: n, warmups } = options;
  const charmDir = path.join(work, "charm");
  await extractCharmArchive(options.charm, charmDir);
  const node = path.join(charmDir, "bin", "node");
  const inCharm =
    (command: string, args: string[], env: Record<string, string> = {}) =>
    () =>
      run(command, args, { cwd: charmDir, env: childEnv(env) });

  // Outside any model: the charm's own runtime, bundle and dispatch, timed side by side.
  const nodeVersion = (await run(node, ["--version"])).stdout.trim();
  const caCerts = shellCaCerts; // a local const, so the closure below sees it narrowed
  const hookEnv = { PATH, JUJU_DISPATCH_PATH: "hooks/cluster-relation-broken", JUJU_UNIT_NAME: "etcd/0", JUJU_CHARM_DIR: charmDir, JUJU_MODEL_NAME: "bench" };
  const samples: Record<string, number[]> = await timeInterleaved(
    {
      floor: { once: inCharm(node, ["-e", "0"]) },
      bundle: { once: inCharm(node, ["dist/charm.mjs", "--help"]) },
      bundleCached: { once: inCharm(node, ["dist/charm.mjs", "--help"], { NODE_COMPILE_CACHE: path.join(work, "compile-cache") }) },
      ignored: { once: () => run(path.join(charmDir, "dispatch"), [], { cwd: charmDir, env: hookEnv }) },
      // A handled event with no hook tools on PATH: fails at its first tool call, so this is a hook's start-up.
      startup: {
        once: () =>
          run(path.join(charmDir, "dispatch"), [], { cwd: charmDir, env: { ...hookEnv, PATH: "/usr/bin:/bin", JUJU_DISPATCH_PATH: "hooks/update-status" } }),
        code: 1,
      },
      hostNode: { once: () => run(process.execPath, ["-e", "0"]) },
      ...(caCerts ? { hostNodeCa: { once: () => run(process.execPath, ["-e", "0"], { env: childEnv({ NODE_EXTRA_CA_CERTS: caCerts }) }) } } : {}),
    },
    n,
    warmups,
  );

  // Inside one-unit models, TLS and plaintext side by side: the processes update-status spawns (TLS), then
  // update-status as each model runs it and what those processes cost, in alternating blocks so that load
  // drift weighs on all alike.
  const model = await BenchModel.create(options.subnet);
  const plain = await BenchModel.create(options.plainSubnet).catch(async (error: unknown) => {
    await model.destroy();
    throw error;
  });
  let traced: SpawnedProcess[][] = [];
  let tracedNote = "strace not found: processes not counted";
  try {
    await Promise.all([model.deploy(options.charm, 1), plain.deploy(options.charm, 1, false)]);
    if (await straceAvailable()) {
      const trace = await traceExecs(await model.controllerPid(), path.join(work, "strace.txt"));
      let hooks: SpawnedProcess[][] = [];
      try {
        await updateStatusDurations(model, options.tracedRuns);
      } finally {
        hooks = perHook(await trace.stop());
      }
      // The first and last may be cut by attaching and detaching.
      traced = hooks.slice(1, -1);
      tracedNote = `strace -f -e trace=execve on the model's controller: ${traced.length} whole update-status runs of ${hooks.length} traced (counts only: strace slows what it traces)`;
    }
    const tools = path.join(model.unitDir("etcd/0"), "tools");
    // A hook-tool call outside a hook: the controller answers "bad context" at once, so this is the call's transport cost.
    const toolEnv = childEnv({ JUJU_CONTEXT_ID: "bench-no-such-context", JUJU_AGENT_SOCKET_ADDRESS: model.socket });
    const tool = () => run(path.join(tools, "is-leader"), ["--format=json"], { env: toolEnv });
    // Concurrent calls of the sizes update-status makes them (9 for a Promise.all of nine tools), else 2.
    const batches = [
      ...new Set(
        callPhases(traced[0] ?? [])
          .map((phase) => phase.tools)
          .filter((k) => k > 1),
      ),
    ];
    const endpoint = (await model.clientUrls())["etcd/0"]!;
    const plainEndpoint = (await plain.clientUrls())["etcd/0"]!;
    const concurrent = (k: number): Timed => ({
      once: async () => {
        const started = performance.now();
        const results = await Promise.all(Array.from({ length: k }, tool));
        return { code: results.every((r) => r.code === 1) ? 1 : 0, stdout: "", stderr: "", ms: performance.now() - started };
      },
      code: 1,
    });
    const parts: Record<string, Timed> = {
      tool: { once: tool, code: 1 },
      ...Object.fromEntries((batches.length > 0 ? batches : [2]).map((k) => [`tools${k}`, concurrent(k)])),
      etcdctl: { once: () => endpointStatus(endpoint, model.credentials) },
      etcdctlPlain: { once: () => endpointStatus(plainEndpoint, undefined) },
    };
    const perBlock = Math.ceil(options.updateStatusRuns / options.blocks);
    for (let block = 0; block < options.blocks; block++) {
      // TLS and plaintext take turns going first.
      const order = block % 2 === 0 ? (["updateStatus", "updateStatusPlain"] as const) : (["updateStatusPlain", "updateStatus"] as const);
      const ran: Record<string, number[]> = {};
      for (const key of order) ran[key] = await updateStatusDurations(key === "updateStatus" ? model : plain, perBlock);
      const timed = await timeInterleaved(parts, Math.ceil(n / options.blocks), block === 0 ? warmups : 1);
      for (const [key, values] of Object.entries({ ...ran, ...timed })) samples[key] = [...(samples[key] ?? []), ...values];
    }
    return report(options, nodeVersion, samples, traced, tracedNote);
  } finally {
    await Promise.all([model.destroy(), plain.destroy()]);
  }
}

/** One `etcdctl endpoint status` against a unit: with the client certificate on https, without on http. */
function endpointStatus(endpoint: string, tls: ClientTls | undefined) {
  return run(
    "etcdctl",
    [`--endpoints=${endpoint}`, "--dial-timeout=1000ms", "--command-timeout=2000ms", ...tlsFlags(tls), "endpoint", "status", "-w", "json"],
    {
      env: childEnv({ ETCDCTL_API: "3" }),
    },
  );
}

/** Lets the model run update-status every second until `count` more have run; their durations (ms). */
async function updateStatusDurations(model: BenchModel, count: number): Promise<number[]> {
  const isUpdate = (e: { kind: string; name: string }) => e.kind === "hook" && e.name === "update-status";
  const before = (await model.debugLog()).filter(isUpdate).length;
  await model.ok("model-config", "update-status-hook-interval=1s");
  try {
    return await until(`${count} update-status runs`, count * 6000 + 10_000, 2000, async () => {
      const runs = (await model.debugLog()).filter(isUpdate).slice(before);
      return runs.length >= count ? runs.slice(0, count).map((e) => e.durationMs) : undefined;
    });
  } finally {
    await model.ok("model-config", "update-status-hook-interval=5m");
  }
}

function report(options: HookOptions, nodeVersion: string, samples: Record<string, number[]>, traced: SpawnedProcess[][], tracedNote: string): BenchResult {
  const floor = median(samples.floor!);
  const stat = (key: string) => median(samples[key] ?? []);
  const row = (label: string, key: string): Row => {
    const s = summarize(samples[key] ?? []);
    return [label, s.n, fmt(s.median, 1), fmt(s.p10, 1), fmt(s.p90, 1), fmt(s.min, 1), fmt(s.max, 1), ratio(s.median, floor)];
  };
  const timing = {
    title: `1. Hook overhead (packed 24.04 charm, its Node ${nodeVersion}; ${options.runs} runs after ${options.warmups} warm-ups unless n says otherwise)`,
    columns: ["measurement", "n", "median ms", "p10", "p90", "min", "max", "× floor"],
    rows: [
      row("floor: bin/node -e 0", "floor"),
      row("bin/node dist/charm.mjs --help (program bundle loaded)", "bundle"),
      row("  same with a warm NODE_COMPILE_CACHE", "bundleCached"),
      row("(a) ./dispatch, hooks/cluster-relation-broken (ignored)", "ignored"),
      row("./dispatch, hooks/update-status, no tools on PATH (start-up)", "startup"),
      row("(b) update-status (TLS), idle healthy 1-unit model", "updateStatus"),
      row("  update-status (plaintext): same, deployed with tls=false", "updateStatusPlain"),
      ["  update-status TLS ÷ plaintext (medians)", "", ratio(stat("updateStatus"), stat("updateStatusPlain"), 2), "", "", "", "", ""],
      row("host node -e 0 (Node 20: runs every hook tool)", "hostNode"),
      ...(samples.hostNodeCa ? [row("  same with NODE_EXTRA_CA_CERTS (as the shell has it)", "hostNodeCa")] : []),
      row("1 hook-tool call (perl jujuc → controller)", "tool"),
      ...Object.keys(samples)
        .filter((key) => /^tools[0-9]+$/.test(key))
        .map((key) => row(`${key.slice(5)} hook-tool calls at once`, key)),
      row("1 etcdctl endpoint status (TLS)", "etcdctl"),
      row("  same, plaintext", "etcdctlPlain"),
    ],
    notes: [
      "(b) is the hook's durationMs from `debug-log --format=json` while update-status-hook-interval=1s; a hand-run dispatch cannot",
      "   stand in for it: the controller only answers hook tools for the context of a hook it is running itself.",
      "hook-tool rows call tools/is-leader with an unknown context: the controller answers at once, so they time the transport.",
      `(b) and the rows after it were measured in ${options.blocks} alternating blocks in the same models, so load drift weighs on all alike.`,
      "TLS: the charm's default (mutual TLS; etcdctl with the client-credentials action's certificate); plaintext: a second 1-unit",
      "   model deployed with --config tls=false, alive at the same time. Table 1b counts and 1c explains the TLS update-status.",
    ],
  };
  const tables: Table[] = [timing];
  const data: Record<string, unknown> = {
    nodeVersion,
    samples,
    summaries: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)])),
    tlsOverPlaintext: { updateStatus: stat("updateStatus") / stat("updateStatusPlain"), etcdctl: stat("etcdctl") / stat("etcdctlPlain") },
  };

  if (traced.length === 0) timing.notes.push(tracedNote);
  if (traced.length > 0) {
    const perKind = (kind: SpawnedProcess["kind"]) => median(traced.map((hook) => hook.filter((p) => p.kind === kind).length));
    const names = (kind: SpawnedProcess["kind"]) => {
      const counts = new Map<string, number>();
      for (const p of traced[0]!.filter((p) => p.kind === kind)) counts.set(p.what, (counts.get(p.what) ?? 0) + 1);
      return [...counts].map(([what, c]) => (c > 1 ? `${what} ×${c}` : what)).join(", ");
    };
    const phases = callPhases(traced[0]!);
    tables.push({
      title: "1b. Processes one update-status spawns (idle 1-unit model)",
      columns: ["process", "per hook", "which"],
      rows: [
        ["hook tools (jujuc)", perKind("hook-tool"), names("hook-tool")],
        ["systemctl (jujuc systemctl …)", perKind("systemctl"), names("systemctl")],
        ["etcdctl", perKind("etcdctl"), names("etcdctl")],
        ["charm Node (bin/node dist/charm.mjs)", perKind("charm-node"), ""],
        ["other (dispatch's sh helpers)", perKind("other"), names("other")],
        [
          "call phases (concurrent calls grouped)",
          phases.length,
          phases.map((p) => (p.etcdctl ? `${p.etcdctl} etcdctl` : `${p.tools} tool${p.tools > 1 ? "s" : ""}`)).join(" → "),
        ],
      ],
      notes: [tracedNote],
    });
    // update-status explained: the ignored hook, then each phase at its measured cost.
    const parts: Array<[string, number]> = [["start-up: dispatch → Node → program bundle → first tool call", stat("startup")]];
    for (const [i, p] of phases.entries()) {
      const ms = p.etcdctl > 0 ? p.etcdctl * stat("etcdctl") : p.tools > 1 ? stat(`tools${p.tools}`) : stat("tool");
      parts.push([`phase ${i + 1}: ${p.etcdctl ? `${p.etcdctl} etcdctl` : `${p.tools} hook tool${p.tools > 1 ? "s at once" : ""}`}`, ms]);
    }
    const estimate = sum(parts.map(([, ms]) => ms));
    const measured = stat("updateStatus");
    tables.push({
      title: "1c. update-status explained with the measured parts",
      columns: ["part", "ms", "share of measured"],
      rows: [
        ...parts.map(([label, ms]): Row => [label, fmt(ms, 1), `${fmt((100 * ms) / measured)}%`]),
        ["sum of parts", fmt(estimate, 1), `${fmt((100 * estimate) / measured)}%`],
        [
          "rest: in-process work between calls (parsing, deciding), scheduling",
          fmt(measured - estimate, 1),
          `${fmt((100 * (measured - estimate)) / measured)}%`,
        ],
        ["measured update-status median", fmt(measured, 1), "100%"],
      ],
    });
    data.processesPerHook = traced.map((hook) => hook.map(({ kind, what }) => ({ kind, what })));
    data.phases = phases;
    data.estimateMs = estimate;
  }
  return { tables, data };
}
