import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { LocalModelFixture, testCharm } from "./harness.js";
import { oneClusterFileAtATime } from "../helpers/cluster-slot.js";

oneClusterFileAtATime();

/**
 * The tls-provider test charm speaks tls-certificates v4 as self-signed-certificates does (interfaces §1), proven
 * against the tls-requirer test charm (two units writing unit-mode CSRs, its leader one app-mode CSR) with the
 * real openssl reading what arrives in the provider's application databag.
 */

const Issued = z.array(
  z.strictObject({
    ca: z.string(),
    certificate_signing_request: z.string(),
    certificate: z.string(),
    chain: z.array(z.string()),
    revoked: z.boolean().optional(),
  }),
);
type Issued = z.infer<typeof Issued>;
const Requests = z.array(z.strictObject({ certificate_signing_request: z.string(), ca: z.boolean() }));

describe("tls-provider: a tls-certificates v4 provider with a CA of its own (interfaces §1)", () => {
  let model: LocalModelFixture;
  let pems: string;
  let relation: string;

  const exec = async (unit: string, command: string) => (await model.ok("exec", "--unit", unit, "--", command)).trim();
  /** The provider's `certificates` as a requirer unit reads them (remote app settings are read afresh, contract §3.1). */
  const issued = async (): Promise<Issued> => {
    const raw = await exec("requirer/0", `relation-get -r ${relation} --app certificates provider`);
    return raw === "" ? [] : Issued.parse(JSON.parse(raw));
  };
  /** The one request a requirer unit wrote into its own databag or, with `app`, the requirer's leader into the app's. */
  const request = async (unit: string, app = false): Promise<string> => {
    // A unit's own bag read by the unit itself (fresh); the app's through the provider (remote app data is read afresh).
    const raw = app
      ? await exec(unit, `relation-get -r ${relation} --app certificate_signing_requests requirer`)
      : await exec(unit, `relation-get -r ${relation} certificate_signing_requests ${unit}`);
    const [only, ...more] = Requests.parse(JSON.parse(raw));
    expect(more).toEqual([]);
    return only!.certificate_signing_request;
  };
  const caOf = async (unit: string): Promise<string> => {
    const out = JSON.parse(await model.ok("run", unit, "ca", "--format=json")) as Record<string, { results: { ca: string } }>;
    return out[unit]!.results.ca;
  };
  const unitMessage = async (unit: string) => {
    const [app = ""] = unit.split("/");
    return (await model.status()).applications[app]?.units?.[unit]?.["workload-status"].message;
  };
  const file = async (name: string, pem: string) => {
    const at = path.join(pems, name);
    await writeFile(at, `${pem}\n`);
    return at;
  };
  const openssl = async (...args: string[]) => (await execa("openssl", args)).stdout;
  const verifies = async (certificate: string, ca: string) =>
    (await execa("openssl", ["verify", "-CAfile", await file("ca.pem", ca), await file("leaf.pem", certificate)], { reject: false })).exitCode === 0;
  const extensions = async (certificate: string) =>
    openssl("x509", "-in", await file("ext.pem", certificate), "-noout", "-ext", "basicConstraints,extendedKeyUsage,subjectAltName");
  const entryFor = (certificates: Issued, csr: string) => certificates.find((entry) => entry.certificate_signing_request === csr);

  beforeAll(async () => {
    pems = await mkdtemp(path.join(tmpdir(), "tls-provider-"));
    model = await LocalModelFixture.create("127.0.37", 3);
    await model.ok("deploy", testCharm("tls-provider"), "provider");
    await model.ok("deploy", testCharm("tls-requirer"), "requirer", "-n", "2");
    await model.ok("integrate", "requirer:certificates", "provider:certificates");
    await model.untilNoUnitInError();
    relation = await exec("requirer/0", "relation-ids certificates");
  }, 120_000);
  afterAll(async () => {
    await model?.destroy();
    await rm(pems, { recursive: true, force: true });
  });

  it("every unit's and the app's request gets a certificate from the CA, with the request's subject and SANs, CA:FALSE and no EKU (§1.1, §1.6)", async () => {
    const ca = await caOf("provider/0");
    const certificates = await issued();
    const requests = [await request("requirer/0"), await request("requirer/1"), await request("provider/0", true)];
    expect(certificates.map((entry) => entry.certificate_signing_request).sort()).toEqual([...requests].sort());
    for (const entry of certificates) {
      expect(entry.ca).toBe(ca.trimEnd());
      expect(entry.chain).toEqual([entry.certificate, entry.ca]);
      expect(entry.revoked).toBeUndefined();
      // v4 writes every PEM stripped (§1.1).
      for (const pem of [entry.ca, entry.certificate, entry.certificate_signing_request]) expect(pem.endsWith("-----")).toBe(true);
      expect(await verifies(entry.certificate, ca)).toBe(true);
    }
    const status = await model.status();
    for (const [index, unit] of ["requirer/0", "requirer/1"].entries()) {
      const certificate = entryFor(certificates, requests[index]!)!.certificate;
      const address = status.applications.requirer?.units?.[unit]?.["public-address"];
      expect(await extensions(certificate)).toBe(
        `X509v3 Basic Constraints: critical\n    CA:FALSE\nX509v3 Subject Alternative Name: \n    IP Address:${address}`,
      );
      expect(await openssl("x509", "-in", await file("subject.pem", certificate), "-noout", "-subject", "-nameopt", "sep_multiline,sname")).toMatch(
        new RegExp(`^subject=\\n {4}CN=${unit.replace("/", "-")}\\n {4}x500UniqueIdentifier=[0-9a-f-]{36}$`),
      );
    }
    expect(await extensions(entryFor(certificates, requests[2]!)!.certificate)).toBe(
      "X509v3 Basic Constraints: critical\n    CA:FALSE\nX509v3 Subject Alternative Name: \n    DNS:requirer.example",
    );
    expect(await unitMessage("provider/0")).toBe("3 certificates issued");
    expect(await unitMessage("requirer/0")).toBe("certificate issued");
    // The requirer writes first, already in relation-created (§1.2 item 1).
    const created = (await model.hookRuns()).filter((run) => run.unit.startsWith("requirer/") && run.hook === "certificates-relation-created");
    expect(created.map((run) => [run.unit, run.entry.tools.includes("relation-set")]).sort()).toEqual([
      ["requirer/0", true],
      ["requirer/1", true],
    ]);
  }, 60_000);

  it("a unit that replaces its request gets a new certificate and its old entry disappears (§1.2 item 3, §1.4)", async () => {
    const before = await issued();
    const old = await request("requirer/0");
    await model.ok("run", "requirer/0", "renew");
    await model.ok("wait");
    const renewed = await request("requirer/0");
    expect(renewed).not.toBe(old);
    const after = await issued();
    expect(entryFor(after, old)).toBeUndefined();
    expect(await verifies(entryFor(after, renewed)!.certificate, await caOf("provider/0"))).toBe(true);
    // The other requests keep the certificates they had.
    const others = before.filter((entry) => entry.certificate_signing_request !== old);
    expect(after.filter((entry) => entry.certificate_signing_request !== renewed)).toEqual(others);
  }, 60_000);

  it("invalid JSON in a requirer's databag is no data: logged, the provider stays active, the unit's entry goes until it asks again (§1.1)", async () => {
    const old = await request("requirer/1");
    await exec("requirer/1", `relation-set -r ${relation} certificate_signing_requests='[{"certificate_signing_request": '`);
    await model.ok("wait");
    expect(entryFor(await issued(), old)).toBeUndefined();
    expect((await model.status()).applications.provider?.units?.["provider/0"]?.["workload-status"]).toMatchObject({
      current: "active",
      message: "2 certificates issued",
    });
    const warnings = (await model.debugLog()).filter((entry) => entry.unit === "provider/0").flatMap((entry) => entry.logs);
    // Juju prefixes a relation hook's log lines with the relation.
    expect(warnings).toContainEqual({
      level: "WARNING",
      message: `${relation}: ignoring certificate_signing_requests of requirer/1 (${relation}): not a JSON list of requests`,
    });
    await model.ok("run", "requirer/1", "renew");
    await model.ok("wait");
    expect(await verifies(entryFor(await issued(), await request("requirer/1"))!.certificate, await caOf("provider/0"))).toBe(true);
    expect(await unitMessage("provider/0")).toBe("3 certificates issued");
  }, 60_000);

  it("rotate-ca revokes every certificate, the next hook signs the same requests with the new CA; with reissue it is one step (§1.5)", async () => {
    const oldCa = await caOf("provider/0");
    const before = await issued();
    await model.ok("run", "provider/0", "rotate-ca", "reissue=false");
    await model.ok("wait");
    const revoked = await issued();
    expect(revoked).toEqual(before.map((entry) => ({ ...entry, revoked: true })));
    expect(await unitMessage("provider/0")).toBe("0 certificates issued");
    expect(await unitMessage("requirer/0")).toBe("waiting for a certificate");
    const newCa = await caOf("provider/0");
    expect(newCa).not.toBe(oldCa);

    // The next hook (config-changed here) signs them again, for the configured validity.
    await model.ok("config", "provider", "validity-minutes=90");
    const reissued = await issued();
    expect(reissued.map((entry) => entry.certificate_signing_request).sort()).toEqual(before.map((entry) => entry.certificate_signing_request).sort());
    for (const entry of reissued) {
      expect(entry.revoked).toBeUndefined();
      expect(entry.ca).toBe(newCa.trimEnd());
      expect(await verifies(entry.certificate, newCa)).toBe(true);
      expect(await verifies(entry.certificate, oldCa)).toBe(false);
      const dates = await openssl("x509", "-in", await file("dates.pem", entry.certificate), "-noout", "-startdate", "-enddate");
      const [notBefore, notAfter] = dates.split("\n").map((line) => Date.parse(line.slice(line.indexOf("=") + 1)));
      expect(notAfter! - notBefore!).toBe(90 * 60_000);
    }
    expect(await unitMessage("requirer/0")).toBe("certificate issued");

    await model.ok("run", "provider/0", "rotate-ca");
    await model.ok("wait");
    const thirdCa = await caOf("provider/0");
    const rotated = await issued();
    expect(rotated.map((entry) => [entry.certificate_signing_request, entry.revoked, entry.ca]).sort()).toEqual(
      reissued.map((entry) => [entry.certificate_signing_request, undefined, thirdCa.trimEnd()]).sort(),
    );
    for (const entry of rotated) expect(await verifies(entry.certificate, thirdCa)).toBe(true);
    expect(await unitMessage("provider/0")).toBe("3 certificates issued");
  }, 90_000);

  it("a new leader signs with the same CA, kept in the application's secret; other units say the leader issues", async () => {
    const ca = await caOf("provider/0");
    await model.ok("add-unit", "provider");
    await model.ok("elect", "provider/1");
    await model.ok("wait");
    expect(await caOf("provider/1")).toBe(ca);
    await model.ok("run", "requirer/0", "renew");
    await model.ok("wait");
    const signed = entryFor(await issued(), await request("requirer/0"));
    expect(await verifies(signed!.certificate, ca)).toBe(true);
    expect(await unitMessage("provider/1")).toBe("3 certificates issued");
    expect(await unitMessage("provider/0")).toBe("leader issues");
  }, 90_000);

  it("removing the relation takes nothing from the requirer; a new relation's certificates are only for its own requests", async () => {
    const old = await issued();
    const oldRelation = relation;
    await model.ok("remove-relation", "requirer:certificates", "provider:certificates");
    // The requirer keeps its key (its unit's own filesystem root).
    const keyFile = path.join(model.dir, "units", "requirer-0", "root", "var", "lib", "tls-requirer", `${oldRelation.split(":")[1]}-unit.key`);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(await unitMessage("provider/1")).toBe("0 certificates issued");

    await model.ok("integrate", "requirer:certificates", "provider:certificates");
    relation = await exec("requirer/0", "relation-ids certificates");
    expect(relation).not.toBe(oldRelation);
    const fresh = await issued();
    const requests = [await request("requirer/0"), await request("requirer/1"), await request("provider/0", true)];
    expect(fresh.map((entry) => entry.certificate_signing_request).sort()).toEqual([...requests].sort());
    for (const entry of old) expect(entryFor(fresh, entry.certificate_signing_request)).toBeUndefined();
    expect(await unitMessage("provider/1")).toBe("3 certificates issued");
  }, 90_000);

  it("no hook failed and no log of the model holds a private key", async () => {
    const log = await model.debugLog();
    expect(log.filter((entry) => entry.exitCode !== 0).map((entry) => `${entry.unit} ${entry.name}`)).toEqual([]);
    expect(JSON.stringify(log)).not.toContain("PRIVATE KEY");
  });
});
