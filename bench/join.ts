/**
 * 2. Join: `add-unit etcd` on a 3-unit model until the new member votes (and until the model is idle), on a
 * TLS model (the charm's default) and a plaintext one (`--config tls=false`), against a scripted raw join
 * (member add --learner, start, promote) on a hand-started plaintext cluster, in turn.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { hookCost, hookRuns, type HookCost } from "./lib/hooklog.js";
import { BenchModel } from "./lib/model.js";
import { memberList, RawCluster, watchMembers, type MemberStages } from "./lib/etcd.js";
import { counts, criticalPathTable, spread } from "./lib/report.js";
import { median, ratio, sum } from "./lib/stats.js";
import { fmt, seconds, type BenchResult, type Row } from "./lib/table.js";

export interface JoinOptions {
  readonly charm: string;
  /** The TLS model's /24, and the plaintext model's. */
  readonly subnet: string;
  readonly plainSubnet: string;
  readonly rawSubnet: string;
  readonly joins: number;
}

interface ModelJoin {
  readonly size: string;
  readonly newUnit: string;
  readonly stages: MemberStages;
  readonly idleMs: number;
  readonly cost: HookCost;
  /** "Started" lines added to the service logs of the units that were already there. */
  readonly restarts: number;
  readonly pidChanges: number;
  readonly memberIdChanges: number;
}

const START_SIZE = 3;
/**
 * etcd refuses to add a member until its leader has been connected to every voter for 5 s (HealthInterval;
 * it logs "rejecting member add request; local member has not been connected to all peers"). Each join,
 * model and raw alike, starts on a cluster that has been settled this long, so neither measures that wait.
 */
const SETTLE_MS = 6000;

export async function joinBenchmark(options: JoinOptions): Promise<BenchResult> {
  const model = await BenchModel.create(options.subnet);
  try {
    const plain = await BenchModel.create(options.plainSubnet);
    try {
      const raw = await RawCluster.start(options.rawSubnet, START_SIZE);
      try {
        await Promise.all([model.deploy(options.charm, START_SIZE), plain.deploy(options.charm, START_SIZE, false)]);
        const tlsJoins: ModelJoin[] = [];
        const plainJoins: ModelJoin[] = [];
        const rawJoins = [];
        const turns: Array<[BenchModel, ModelJoin[]]> = [
          [model, tlsJoins],
          [plain, plainJoins],
        ];
        for (let j = 0; j < options.joins; j++) {
          // TLS and plaintext take turns going first, so that load drift weighs on both alike.
          for (const [which, joins] of j % 2 === 0 ? turns : [...turns].reverse()) {
            await sleep(SETTLE_MS);
            joins.push(await modelJoin(which));
          }
          await sleep(SETTLE_MS);
          rawJoins.push(await raw.join(START_SIZE + j));
        }
        return report(tlsJoins, plainJoins, rawJoins);
      } finally {
        await raw.stop();
      }
    } finally {
      await plain.destroy();
    }
  } finally {
    await model.destroy();
  }
}

async function modelJoin(model: BenchModel): Promise<ModelJoin> {
  const existing = await model.clientUrls();
  const units = Object.keys(existing);
  const endpoints = Object.values(existing);
  const snapshot = async () => ({
    starts: await Promise.all(units.map((unit) => model.serviceStarts(unit))),
    pids: await model.servicePids(),
    ids: new Map(((await memberList(endpoints, 2000, model.credentials)) ?? []).map((m) => [m.name, m.id])),
  });
  const before = await snapshot();
  const logged = (await model.debugLog()).length;

  const watch = watchMembers(
    async () => endpoints,
    units.length + 1,
    300_000,
    async () => model.credentials,
  );
  const began = performance.now();
  const added = await model.start("add-unit", "etcd");
  const idleMs = performance.now() - began;
  if (added.code !== 0) throw new Error(`add-unit failed: ${added.stderr}`);
  const stages = await watch.finish(10_000);

  const after = await snapshot();
  const runs = hookRuns((await model.debugLog()).slice(logged));
  const newUnit = Object.keys(await model.clientUrls()).find((unit) => !units.includes(unit)) ?? "?";
  return {
    size: `${units.length}→${units.length + 1}`,
    newUnit,
    stages,
    idleMs,
    cost: hookCost(runs),
    restarts: sum(after.starts) - sum(before.starts),
    pidChanges: units.filter((unit) => before.pids[unit] !== after.pids[unit]).length,
    memberIdChanges: [...before.ids].filter(([name, id]) => after.ids.get(name) !== id).length,
  };
}

type RawJoinResult = Awaited<ReturnType<RawCluster["join"]>>;

function report(tlsJoins: readonly ModelJoin[], plainJoins: readonly ModelJoin[], rawJoins: readonly RawJoinResult[]): BenchResult {
  const ms = (value: number | undefined, digits = 1) => (value === undefined ? "–" : fmt(value / 1000, digits));
  const modelRows = (label: string, joins: readonly ModelJoin[]) =>
    joins.map((join, i): Row => {
      const others = join.cost.runs - (join.cost.byUnit[join.newUnit] ?? 0);
      return [
        `${label} #${i + 1} (${join.newUnit})`,
        join.size,
        ms(join.stages.listed),
        ms(join.stages.started),
        ms(join.stages.voting),
        ms(join.idleMs),
        `${join.cost.runs} (${join.cost.byUnit[join.newUnit] ?? 0} new + ${others})`,
        join.cost.stretches,
        seconds(join.cost.criticalMs),
        join.cost.longest ? `${join.cost.longest.hook} ${seconds(join.cost.longest.ms)} s` : "–",
        `${join.restarts} / ${join.pidChanges} / ${join.memberIdChanges}`,
      ];
    });
  const rawRows = rawJoins.map(
    (join, i): Row => [
      `raw #${i + 1}`,
      `${START_SIZE + i}→${START_SIZE + i + 1}`,
      ms(join.addedMs, 2),
      ms(join.stages.started, 2),
      ms(join.promotedMs, 2),
      "–",
      `${join.promoteAttempts} promote attempts`,
      "–",
      "–",
      "–",
      "–",
    ],
  );
  const voting = (joins: readonly ModelJoin[]) => joins.map((j) => j.stages.voting ?? Number.NaN);
  const idle = (joins: readonly ModelJoin[]) => joins.map((j) => j.idleMs);
  const critical = (joins: readonly ModelJoin[]) => joins.map((j) => j.cost.criticalMs);
  const rawVoting = median(rawJoins.map((j) => j.promotedMs));
  const tlsOverPlain = (of: (joins: readonly ModelJoin[]) => number[]) => ratio(median(of(tlsJoins)), median(of(plainJoins)), 2);
  const ratios = { voting: tlsOverPlain(voting), idle: tlsOverPlain(idle), criticalPath: tlsOverPlain(critical) };
  const byName: Record<string, number> = {};
  for (const join of tlsJoins) for (const [name, n] of Object.entries(join.cost.byName)) byName[name] = (byName[name] ?? 0) + n / tlsJoins.length;
  const summary = (label: string, joins: readonly ModelJoin[]): Row => [
    label,
    "",
    "",
    "",
    spread(voting(joins)),
    spread(idle(joins)),
    "",
    "",
    spread(critical(joins)),
    "",
    "",
  ];
  return {
    tables: [
      {
        title: "2. Join: add-unit on a 3-unit model, TLS and plaintext, vs. a scripted raw join (times from add-unit / member add, in s)",
        columns: [
          "join",
          "members",
          "→listed",
          "→started",
          "→voting",
          "→idle",
          "hook runs",
          "stretches",
          "crit. path",
          "longest hook",
          "restarts / PID / ID changes",
        ],
        rows: [
          ...modelRows("TLS", tlsJoins),
          ...modelRows("plaintext", plainJoins),
          ...rawRows,
          summary("median model (TLS)", tlsJoins),
          summary("median model (plaintext)", plainJoins),
          ["TLS ÷ plaintext (medians)", "", "", "", ratios.voting, ratios.idle, "", "", ratios.criticalPath, "", ""],
          ["median raw →voting", "", "", "", spread(rawJoins.map((j) => j.promotedMs)), "", "", "", "", "", ""],
          ["model (TLS) ÷ raw (→voting)", "", "", "", ratio(median(voting(tlsJoins)), rawVoting), "", "", "", "", "", ""],
        ],
        notes: [
          "TLS: the charm's default (mutual TLS, https URLs); plaintext: a second model deployed with --config tls=false. Both 3-unit models",
          "   exist side by side; each round joins one unit to each, taking turns at going first, then one raw member.",
          "→listed: the new member is in the member list (a learner); →started: it has a name; →voting: every member started and none a learner.",
          "Polled every 100 ms with `etcdctl member list` against the members that existed before (under TLS with the client-credentials action's certificate).",
          `Each join starts ${SETTLE_MS / 1000} s after the previous one ended: etcd refuses a member add until its leader has been connected to every voter for 5 s.`,
          "raw: plaintext etcd started by hand; →listed is when `etcdctl member add --learner` returned, →voting when `etcdctl member promote` first succeeded.",
          'restarts: new "Started" lines in the existing units\' etcd.service logs; PID / ID changes: existing units whose MainPID / member ID changed.',
          `hook runs per TLS join by hook (mean): ${counts(Object.fromEntries(Object.entries(byName).map(([k, v]) => [k, Number(v.toFixed(1))])))}`,
        ],
      },
      criticalPathTable(
        "2b. Where a TLS join waits: the critical chain of hooks, by what it was doing (median over joins)",
        tlsJoins.map((j) => j.cost),
      ),
      criticalPathTable(
        "2c. Where a plaintext join waits: the critical chain of hooks, by what it was doing (median over joins)",
        plainJoins.map((j) => j.cost),
      ),
    ],
    data: { modelJoins: tlsJoins, plaintextJoins: plainJoins, rawJoins, tlsOverPlaintext: ratios },
  };
}
