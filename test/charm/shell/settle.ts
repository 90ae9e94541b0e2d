import { expect } from "vitest";
import { parse as parseYaml } from "yaml";
import { schemeOf } from "../../../src/domain/address.js";
import type { FakeWorld, RunRecord } from "./fake-world.js";

/** The units of a three-unit fake model. */
export const UNITS = ["etcd/0", "etcd/1", "etcd/2"];

/** Runs a hook on every unit, in order, until a whole round changes nothing; every run must succeed. */
export async function settle(world: FakeWorld, hook = "update-status", rounds = 5): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  for (let round = 0; round < rounds; round++) {
    let changed = false;
    for (const unit of world.machines.keys()) {
      const run = await world.hook(unit, hook);
      expect(run.error, `${unit} ${hook}`).toBeUndefined();
      runs.push(run);
      changed ||= run.jujuWrites.length + run.machineWrites.length + run.etcdOperations.length > 0;
    }
    if (!changed) return runs;
  }
  throw new Error(`no convergence after ${rounds} rounds of ${hook}`);
}

/**
 * Watches every unit's etcd restarts: at each, how many of the other members answer (a quorum of 3 needs both
 * while one is down), and which scheme the unit moves from and to ("etcd/1 http→https").
 */
export function watchRestarts(world: FakeWorld): { othersAnswering: number[]; restarted: string[] } {
  const othersAnswering: number[] = [];
  const restarted: string[] = [];
  for (const unit of UNITS) {
    const machine = world.machine(unit);
    const restart = machine.service.restart.bind(machine.service);
    machine.service.restart = async () => {
      const others = world.cluster.snapshot().filter((m) => m.clientUrls[0] !== machine.servingClientUrl);
      othersAnswering.push(others.filter((m) => m.clientUrls.some((url) => world.cluster.answers(url))).length);
      restarted.push(`${unit} ${schemeOf(machine.servingClientUrl)}→${schemeOf(parseYaml(machine.config ?? "")["listen-client-urls"])}`);
      await restart();
    };
  }
  return { othersAnswering, restarted };
}
