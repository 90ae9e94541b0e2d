/**
 * 2. Join: `add-unit etcd` on a 3-unit model until the new member votes (and until the model is idle),
 * against a scripted raw join (member add --learner, start, promote) on a hand-started cluster, in turn.
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
  readonly subnet: string;
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
    const raw = await RawCluster.start(options.rawSubnet, START_SIZE);
    try {
      await model.ok("deploy", options.charm, "-n", String(START_SIZE));
      const modelJoins: ModelJoin[] = [];
      const rawJoins = [];
      for (let j = 0; j < options.joins; j++) {
        await sleep(SETTLE_MS);
        modelJoins.push(await modelJoin(model));
        await sleep(SETTLE_MS);
        rawJoins.push(await raw.join(START_SIZE + j));
      }
      return report(modelJoins, rawJoins);
    } finally {
      await raw.stop();
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
    ids: new Map(((await memberList(endpoints, 2000)) ?? []).map((m) => [m.name, m.id])),
  });
  const before = await snapshot();
  const logged = (await model.debugLog()).length;

  const watch = watchMembers(async () => endpoints, units.length + 1, 300_000);
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

function report(modelJoins: readonly ModelJoin[], rawJoins: ReadonlyArray<Awaited<ReturnType<RawCluster["join"]>>>): BenchResult {
  const ms = (value: number | undefined, digits = 1) => (value === undefined ? "–" : fmt(value / 1000, digits));
  const modelRows = modelJoins.map((join, i): Row => {
    const others = join.cost.runs - (join.cost.byUnit[join.newUnit] ?? 0);
    return [
      `model #${i + 1} (${join.newUnit})`,
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
  const voting = (stages: readonly MemberStages[]) => stages.map((s) => s.voting ?? Number.NaN);
  const modelVoting = median(voting(modelJoins.map((j) => j.stages)));
  const rawVoting = median(rawJoins.map((j) => j.promotedMs));
  const byName: Record<string, number> = {};
  for (const join of modelJoins) for (const [name, n] of Object.entries(join.cost.byName)) byName[name] = (byName[name] ?? 0) + n / modelJoins.length;
  return {
    tables: [
      {
        title: "2. Join: add-unit on a 3-unit model vs. a scripted raw join (times from add-unit / member add, in s)",
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
          ...modelRows,
          ...rawRows,
          ["median model →voting", "", "", "", spread(voting(modelJoins.map((j) => j.stages))), spread(modelJoins.map((j) => j.idleMs)), "", "", "", "", ""],
          ["median raw →voting", "", "", "", spread(rawJoins.map((j) => j.promotedMs)), "", "", "", "", "", ""],
          ["model ÷ raw (→voting)", "", "", "", ratio(modelVoting, rawVoting), "", "", "", "", "", ""],
        ],
        notes: [
          "→listed: the new member is in the member list (a learner); →started: it has a name; →voting: every member started and none a learner.",
          "Polled every 100 ms with `etcdctl member list` against the members that existed before.",
          `Each join starts ${SETTLE_MS / 1000} s after the previous one ended: etcd refuses a member add until its leader has been connected to every voter for 5 s.`,
          "raw: →listed is when `etcdctl member add --learner` returned, →voting when `etcdctl member promote` first succeeded.",
          'restarts: new "Started" lines in the existing units\' etcd.service logs; PID / ID changes: existing units whose MainPID / member ID changed.',
          `hook runs per join by hook (mean): ${counts(Object.fromEntries(Object.entries(byName).map(([k, v]) => [k, Number(v.toFixed(1))])))}`,
        ],
      },
      criticalPathTable(
        "2b. Where a join waits: the critical chain of hooks, by what it was doing (median over joins)",
        modelJoins.map((j) => j.cost),
      ),
    ],
    data: { modelJoins, rawJoins },
  };
}
