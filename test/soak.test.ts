import { describe, expect, inject, it } from "vitest";
import { soakRun } from "../soak/soak.js";
import { longestGap, unavailabilities, type WriteAttempt } from "../soak/writer.js";
import { oneClusterFileAtATime } from "./helpers/cluster-slot.js";

oneClusterFileAtATime();

const charms = inject("packedCharms");

describe("soak: how write attempts become quorum losses and gaps", () => {
  /** Attempts from [start, end, ok] triples. */
  const attempts = (...spans: Array<[number, number, boolean]>): WriteAttempt[] =>
    spans.map(([start, end, ok], i) => ({ n: i + 1, key: `k${i + 1}`, start, end, ok, ...(ok ? {} : { error: `failed ${i + 1}` }) }));

  it("a quorum loss is a run of failed attempts lasting more than 3 s, up to the next acknowledged attempt's start", () => {
    const timeline = attempts([0, 100, true], [300, 2300, false], [2500, 4500, false], [4700, 4800, true], [5000, 7000, false], [7200, 7300, true]);
    expect(unavailabilities(timeline)).toEqual([{ from: 300, to: 4700, ms: 4400, failedAttempts: 2, lastError: "failed 3" }]);
    // Failures that end the writing count up to the end of the last attempt.
    expect(unavailabilities(attempts([0, 100, true], [300, 2300, false], [2500, 4500, false]))).toMatchObject([{ from: 300, to: 4500, ms: 4200 }]);
    expect(unavailabilities(attempts([0, 100, true], [300, 2300, false], [2500, 3000, true]))).toEqual([]);
  });

  it("the longest gap is the longest time between consecutive acknowledgements, from the start of writing", () => {
    expect(longestGap(attempts([500, 900, true], [1100, 3100, false], [3300, 3900, true], [4100, 4200, true]), 0)).toEqual({ ms: 3000, from: 900, to: 3900 });
  });
});

describe("soak: short runs with fault injection while a client writes", { timeout: 900_000 }, () => {
  // Seed 36 draws tls=false, then tls=true: the rolling switch in both directions under the client's writes,
  // with hook faults injected, on each base's etcd. (One seed and two steps keep the suite within its time;
  // `npm run soak` runs many.)
  it.each([
    [36, "24.04", "127.0.56", 2],
    [36, "26.04", "127.0.80", 2],
  ] as const)(
    "seed %i on %s: keeps every acknowledged write and its quorum through 2 random steps, and converges after each",
    async (seed, base, subnet, tlsSwitches) => {
      const lines: string[] = [];
      const charm = charms[`${base}/amd64`];
      const report = await soakRun({ charm, seed, subnet, steps: 2, log: (line) => lines.push(line) });
      const context = `${lines.join("\n")}\nproblems: ${report.problems.join(" | ")}`;
      expect(report.converged, context).toBe(true);
      expect(report.steps.map((step) => step.index)).toEqual([0, 1, 2]);
      expect(report.acknowledged, context).toBeGreaterThan(0);
      expect(report.lostKeys, context).toEqual([]);
      expect(report.quorumLosses, context).toEqual([]);
      expect(report.problems, context).toEqual([]);
      expect(report.tlsSwitches, context).toBe(tlsSwitches);
    },
  );
});
