import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { ClientTls } from "../../src/etcd/etcdctl.js";
import { certificateFingerprint } from "../../src/etcd/tls-files.js";
import { isIssuedBy } from "../../src/tls/inspect.js";
import { readPrefix, unitRoot } from "../../soak/cluster.js";
import { hookErrors } from "../../soak/report.js";
import { unavailabilities, Writer } from "../../soak/writer.js";
import { LocalModelFixture, testCharm } from "../local-model/harness.js";
import { oneClusterFileAtATime } from "../helpers/cluster-slot.js";

oneClusterFileAtATime();

/**
 * Every change of transport security an operator makes on a live cluster, in a row, with a client writing
 * throughout: tls=false, tls=true, a tls-certificates provider related, removed again, rotate-ca. The client is
 * the consumer charm's own view of the db relation (its connection string and the credentials it stored), so
 * it also proves that consumers are told what changes in time. Nothing acknowledged may be lost, no write gap may
 * reach a quorum loss (soak/writer.ts: failures for more than 3 s), no hook may fail, and each step must end
 * (the model idle) within 2 minutes with the consumer ready and writing.
 */

const SUBNET = "127.0.67";
const charm = inject("packedCharms")["24.04/amd64"];
const STEP_LIMIT_MS = 120_000;

describe("changing a live cluster's transport security while a consumer writes", { timeout: 1_200_000 }, () => {
  let model: LocalModelFixture | undefined;
  afterAll(async () => {
    await model?.destroy();
  });

  it("tls=false → tls=true → a provider related → removed → rotate-ca: nothing lost, quorum kept, no hook error, each step within 2 minutes", async () => {
    model = await LocalModelFixture.create(SUBNET, 7, ["--timeout", "300"]);
    const m = model;
    await m.ok("deploy", charm, "-n", "3");
    await m.ok("deploy", testCharm("etcd-consumer"), "consumer");
    await m.ok("deploy", testCharm("tls-provider"), "provider");
    await m.ok("integrate", "consumer:db", "etcd:db");

    const consumerState = path.join(unitRoot(m.dir, "consumer/0"), "var", "lib", "etcd-consumer");
    const tls: ClientTls = {
      caFile: path.join(consumerState, "client-ca.pem"),
      certFile: path.join(consumerState, "client-cert.pem"),
      keyFile: path.join(consumerState, "client-key.pem"),
    };
    const connection = async () => (await readFile(path.join(consumerState, "connection"), "utf8")).trim().split(",");
    const writer = new Writer({ prefix: "ca-changes/", maxWrites: 100_000, maxMs: 1_200_000 }, await connection());
    writer.start(tls);
    // The writer follows the consumer's connection string as the consumer's hooks update it.
    const follow = setInterval(() => {
      connection().then(
        (urls) => writer.setEndpoints(urls),
        () => {},
      );
    }, 1000);

    const consumerMessage = async () => (await m.status()).applications.consumer?.units?.["consumer/0"]?.["workload-status"]?.message ?? "";
    const steps: Array<[string, string[]]> = [
      ["tls=false", ["config", "etcd", "tls=false"]],
      ["tls=true", ["config", "etcd", "tls=true"]],
      ["provider related", ["integrate", "etcd:certificates", "provider:certificates"]],
      ["provider removed", ["remove-relation", "etcd:certificates", "provider:certificates"]],
      ["rotate-ca", ["run", "etcd/0", "rotate-ca"]],
    ];
    const took: Record<string, number> = {};
    const windows: Array<[string, number, number]> = [];
    const after: Record<string, { consumer: string; put: string; acknowledged: number }> = {};
    try {
      for (const [name, verb] of steps) {
        const started = Date.now();
        await m.ok(...verb);
        await m.ok("wait");
        took[name] = Date.now() - started;
        windows.push([name, started, Date.now()]);
        const put = await m.ok("run", "consumer/0", "put", `key=after/${name}`, `value=${name}`);
        after[name] = { consumer: await consumerMessage(), put: put.includes("OK") ? "OK" : put, acknowledged: writer.acknowledged.size };
      }
    } finally {
      clearInterval(follow);
      await writer.stop();
    }

    // Each write gap with the step it happened in, for the report.
    const gaps = unavailabilities(writer.attempts).map((gap) => ({
      ...gap,
      step: windows.find(([, from, to]) => gap.from >= from && gap.from <= to)?.[0] ?? "between steps",
    }));
    const report = JSON.stringify({ took, after, attempts: writer.attempts.length, gaps }, null, 1);
    // The numbers, for the record (each step's time to idle, writes acknowledged of attempted).
    console.log(
      `ca-changes: ${Object.entries(took)
        .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`)
        .join(", ")}; ${writer.acknowledged.size} of ${writer.attempts.length} writes acknowledged`,
    );
    for (const [name] of steps) {
      expect(after[name]?.consumer, `${name}: ${report}`).toMatch(name === "tls=false" ? /^ready: http:\/\// : /^ready: https:\/\//);
      expect(after[name]?.put, `${name}: ${report}`).toBe("OK");
      expect(took[name], `${name}: ${report}`).toBeLessThanOrEqual(STEP_LIMIT_MS);
    }
    // Every acknowledged write is there, read back with the consumer's final credentials.
    const [endpoint] = await connection();
    const stored = await readPrefix(endpoint ?? "", "ca-changes/", tls);
    const lost = [...writer.acknowledged].filter(([key, value]) => stored.get(key) !== value).map(([key]) => key);
    expect(writer.acknowledged.size, report).toBeGreaterThan(100);
    expect(lost, report).toEqual([]);
    expect(gaps, report).toEqual([]);
    expect(hookErrors(await m.debugLog()).genuine, report).toEqual([]);

    // The end state: one CA trusted, the rotated one, from which every member's certificate comes.
    const ca = await readFile(path.join(unitRoot(m.dir, "etcd/0"), "etc", "etcd", "tls", "ca.pem"), "utf8");
    expect(ca.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    for (const unit of ["etcd/0", "etcd/1", "etcd/2"]) {
      const status = (await m.status()).applications.etcd?.units?.[unit]?.["workload-status"];
      expect(status, unit).toMatchObject({ current: "active", message: expect.stringMatching(/^3 members, healthy, raft leader etcd\/\d$/) });
      const trust = await readFile(path.join(unitRoot(m.dir, unit), "etc", "etcd", "tls", "ca.pem"), "utf8");
      expect(certificateFingerprint(trust), unit).toBe(certificateFingerprint(ca));
      const memberCertificate = await readFile(path.join(unitRoot(m.dir, unit), "etc", "etcd", "tls", "member.pem"), "utf8");
      expect(isIssuedBy(memberCertificate, ca), unit).toBe(true);
    }
  });
});
