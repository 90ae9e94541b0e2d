/**
 * 4. Convergence by size: `deploy -n N` on a fresh model for each N, until every member votes and until the
 * model is idle, with the hook runs it took; how the cost grows with N.
 */
import { watchMembers, type MemberStages } from "./lib/etcd.js";
import { hookCost, hookRuns, type HookCost } from "./lib/hooklog.js";
import { BenchModel } from "./lib/model.js";
import { criticalPathTable } from "./lib/report.js";
import { ratio } from "./lib/stats.js";
import { fmt, seconds, type BenchResult, type Row } from "./lib/table.js";

export interface ConvergeOptions {
  readonly charm: string;
  /** One per size, in the same order. */
  readonly subnets: readonly string[];
  readonly sizes: readonly number[];
}

interface Deployment {
  readonly size: number;
  readonly stages: MemberStages;
  readonly idleMs: number;
  readonly cost: HookCost;
}

export async function convergeBenchmark(options: ConvergeOptions): Promise<BenchResult> {
  const deployments: Deployment[] = [];
  for (const [i, size] of options.sizes.entries()) deployments.push(await deploy(options.charm, options.subnets[i]!, size));
  return report(deployments);
}

async function deploy(charm: string, subnet: string, size: number): Promise<Deployment> {
  const model = await BenchModel.create(subnet);
  try {
    // Under TLS (the charm's default) the member list needs a client certificate while the deploy still runs,
    // before the client-credentials action could give one: the first unit's own, from its etcdctl environment.
    const watch = watchMembers(
      async () => Object.values(await model.clientUrls()),
      size,
      15 * 60_000,
      () => model.unitEtcdctlTls("etcd/0"),
    );
    const began = performance.now();
    const deployed = await model.start("deploy", charm, "-n", String(size));
    const idleMs = performance.now() - began;
    const stages = await watch.finish(10_000);
    if (deployed.code !== 0) throw new Error(`deploy -n ${size} failed: ${deployed.stderr}`);
    return { size, stages, idleMs, cost: hookCost(hookRuns(await model.debugLog())) };
  } finally {
    await model.destroy();
  }
}

function report(deployments: readonly Deployment[]): BenchResult {
  const first = deployments[0]!;
  const rows = deployments.map(
    (d): Row => [
      d.size,
      d.stages.voting === undefined ? "–" : seconds(d.stages.voting),
      seconds(d.idleMs),
      ratio(d.idleMs, first.idleMs),
      d.cost.runs,
      fmt(d.cost.runs / d.size, 1),
      ratio(d.cost.runs, first.cost.runs),
      d.cost.stretches,
      seconds(d.cost.criticalMs),
      seconds(d.cost.hookMs),
      fmt(d.cost.hookMs / d.cost.runs / 1000, 2),
      d.cost.longest ? `${d.cost.longest.hook} ${seconds(d.cost.longest.ms)} s` : "–",
    ],
  );
  const last = deployments[deployments.length - 1]!;
  const perUnit = deployments.length > 1 ? (last.idleMs - first.idleMs) / (last.size - first.size) : Number.NaN;
  return {
    tables: [
      {
        title: "4. Convergence by size: deploy -n N on a fresh model (s from the deploy command)",
        columns: [
          "N",
          "→all voting",
          "→idle",
          "idle ÷ N=1",
          "hook runs",
          "runs / unit",
          "runs ÷ N=1",
          "stretches",
          "crit. path",
          "Σ hook time",
          "mean hook",
          "longest hook",
        ],
        rows,
        notes: [
          "→all voting: N members listed, started and none a learner (etcdctl member list every 100 ms); →idle: the deploy command returned.",
          `each unit beyond the first adds ${seconds(perUnit)} s until idle on average (N=${first.size} → N=${last.size}).`,
          "Σ hook time adds up every hook's duration (hooks overlap); crit. path is the time some hook was running, charged along the chain of hooks that kept it going; mean hook = Σ hook time ÷ runs.",
        ],
      },
      criticalPathTable(`4b. Where deploy -n ${last.size} waits: the critical chain of hooks, by what it was doing`, [last.cost]),
    ],
    data: { deployments },
  };
}
