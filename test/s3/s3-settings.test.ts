import { beforeAll, describe, expect, it } from "vitest";
import { createCa } from "../../src/tls/pki.js";
import { DEFAULT_ENDPOINT, DEFAULT_REGION, parseS3Settings, type S3Settings, type S3SettingsResult } from "../../src/s3/s3-settings.js";

/** The s3 relation's provider databag (v0, interfaces §3.1) into settings, or problems that never show the secret key. */

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const minimal = { bucket: "etcd-backups", "access-key": "AKIAEXAMPLE", "secret-key": SECRET };

let caPem: string;
let otherCaPem: string;
beforeAll(async () => {
  caPem = (await createCa({ subject: { commonName: "s3 CA" }, now: Date.now(), validityMs: 3600_000 })).certificatePem;
  otherCaPem = (await createCa({ subject: { commonName: "s3 intermediate" }, now: Date.now(), validityMs: 3600_000 })).certificatePem;
});

function settingsOf(bag: Record<string, string>): S3Settings {
  const result = parseS3Settings(bag);
  if (!result.ok) throw new Error(`unexpected problems: ${result.problems.join("; ")}`);
  return result.settings;
}

function problemsOf(bag: Record<string, string>): string[] {
  const result: S3SettingsResult = parseS3Settings(bag);
  if (result.ok) throw new Error("expected problems, got settings");
  for (const problem of result.problems) expect(problem).not.toContain(SECRET);
  return result.problems;
}

describe("parseS3Settings", () => {
  it("takes bucket and credentials alone, with AWS's endpoint, us-east-1, the bucket's root and host-style", () => {
    expect(settingsOf(minimal)).toEqual({
      bucket: "etcd-backups",
      accessKey: "AKIAEXAMPLE",
      secretKey: SECRET,
      endpoint: DEFAULT_ENDPOINT,
      region: DEFAULT_REGION,
      path: "",
      uriStyle: "host",
      tlsCaChain: [],
      storageClass: undefined,
      attributes: [],
    });
    expect(DEFAULT_ENDPOINT).toBe("https://s3.amazonaws.com");
    expect(DEFAULT_REGION).toBe("us-east-1");
  });

  it("reads every v0 key the provider writes", () => {
    const settings = settingsOf({
      ...minimal,
      endpoint: "https://minio.example.com:9000",
      region: "eu-west-2",
      path: "etcd/prod",
      "s3-uri-style": "host",
      "tls-ca-chain": JSON.stringify([caPem]),
      "s3-api-version": "4",
      "storage-class": "STANDARD_IA",
      attributes: JSON.stringify(["x-amz-server-side-encryption=aws:kms", " x-amz-meta-owner:etcd "]),
      "delete-older-than-days": "7",
      data: '{"bucket":"etcd-backups"}',
    });
    expect(settings).toMatchObject({
      endpoint: "https://minio.example.com:9000",
      region: "eu-west-2",
      path: "etcd/prod",
      uriStyle: "host",
      storageClass: "STANDARD_IA",
      attributes: [
        { name: "x-amz-server-side-encryption", value: "aws:kms" },
        { name: "x-amz-meta-owner", value: "etcd" },
      ],
    });
    expect(settings.tlsCaChain).toEqual([`${caPem.trim()}\n`]);
  });

  it("normalises as other consumers do: trimmed values, endpoint without trailing slash, bucket and path without slashes", () => {
    const settings = settingsOf({
      bucket: " /etcd-backups/ ",
      "access-key": " AKIAEXAMPLE\n",
      "secret-key": `${SECRET}\n`,
      endpoint: "http://10.1.2.3:7480///",
      path: "//etcd/prod/",
    });
    expect(settings).toMatchObject({
      bucket: "etcd-backups",
      accessKey: "AKIAEXAMPLE",
      secretKey: SECRET,
      endpoint: "http://10.1.2.3:7480",
      path: "etcd/prod",
    });
  });

  it("takes an empty value for an absent one", () => {
    expect(
      settingsOf({ ...minimal, endpoint: "", region: " ", path: "", "s3-uri-style": "", "tls-ca-chain": "", "storage-class": "", attributes: "" }),
    ).toEqual(settingsOf(minimal));
  });

  it("addresses a custom endpoint by path unless told otherwise, and AWS's by host", () => {
    expect(settingsOf({ ...minimal, endpoint: "https://ceph.internal" }).uriStyle).toBe("path");
    expect(settingsOf({ ...minimal, endpoint: "https://ceph.internal", "s3-uri-style": "host" }).uriStyle).toBe("host");
    expect(settingsOf({ ...minimal, endpoint: "https://s3.eu-west-2.amazonaws.com" }).uriStyle).toBe("host");
    expect(settingsOf({ ...minimal, "s3-uri-style": "PATH" }).uriStyle).toBe("path");
  });

  it("keeps a base path on the endpoint", () => {
    expect(settingsOf({ ...minimal, endpoint: "https://gw.example.com/s3/" }).endpoint).toBe("https://gw.example.com/s3");
  });

  it("takes tls-ca-chain as a JSON list, one JSON string, a bare PEM bundle or base64 entries, one certificate each", () => {
    const both = [`${caPem.trim()}\n`, `${otherCaPem.trim()}\n`];
    expect(settingsOf({ ...minimal, "tls-ca-chain": JSON.stringify([caPem, otherCaPem]) }).tlsCaChain).toEqual(both);
    expect(settingsOf({ ...minimal, "tls-ca-chain": JSON.stringify(caPem + otherCaPem) }).tlsCaChain).toEqual(both);
    expect(settingsOf({ ...minimal, "tls-ca-chain": caPem + otherCaPem }).tlsCaChain).toEqual(both);
    expect(settingsOf({ ...minimal, "tls-ca-chain": JSON.stringify([Buffer.from(caPem).toString("base64")]) }).tlsCaChain).toEqual([both[0]]);
    expect(settingsOf({ ...minimal, "tls-ca-chain": JSON.stringify([caPem.replaceAll("\n", "\r\n")]) }).tlsCaChain).toEqual([both[0]]);
  });

  it("takes attributes as a JSON list or a ;-joined string, header names lower-cased", () => {
    expect(settingsOf({ ...minimal, attributes: "X-Amz-Storage-Class=STANDARD;x-amz-meta-a=1" }).attributes).toEqual([
      { name: "x-amz-storage-class", value: "STANDARD" },
      { name: "x-amz-meta-a", value: "1" },
    ]);
  });

  it("accepts s3-api-version 4 in the forms it arrives in", () => {
    for (const version of ["4", "v4", '"4"', "s3v4"]) expect(parseS3Settings({ ...minimal, "s3-api-version": version }).ok, version).toBe(true);
  });

  it("names every missing required key", () => {
    expect(problemsOf({})).toEqual(["bucket is missing", "access-key is missing", "secret-key is missing"]);
    expect(problemsOf({ ...minimal, bucket: "///" })).toEqual(["bucket is missing"]);
  });

  it("refuses malformed values with a problem each, and collects them all", () => {
    const problems = problemsOf({
      bucket: "a",
      "access-key": "AKIA EXAMPLE",
      "secret-key": SECRET,
      endpoint: "ftp://files.example.com",
      region: "eu west",
      path: "etcd/../x",
      "s3-uri-style": "virtual",
      "tls-ca-chain": "[1, 2]",
      "s3-api-version": "2",
      "storage-class": "GLACIER IR",
      attributes: JSON.stringify(["no separator", "bad header=x"]),
    });
    expect(problems).toEqual([
      'bucket "a" is not a bucket name (3 to 63 letters, digits, ".", "_" or "-")',
      "access-key contains white space or control characters",
      'endpoint "ftp://files.example.com" does not start with http:// or https://',
      'region "eu west" is not a region name',
      'path "etcd/../x" is not a key prefix (no empty, "." or ".." segments, no control characters)',
      's3-uri-style "virtual" is neither "path" nor "host"',
      's3-api-version "2" is not supported: only 4 (Signature Version 4)',
      'storage-class "GLACIER IR" is not a storage class name',
      "tls-ca-chain is not a JSON list of PEM certificates",
      'attribute "no separator" is not Name=value with a header name',
      'attribute "bad header=x" is not Name=value with a header name',
    ]);
  });

  it("refuses an endpoint that is not a URL, or that carries a query, a fragment or credentials", () => {
    expect(problemsOf({ ...minimal, endpoint: "minio:9000" })).toEqual(['endpoint "minio:9000" does not start with http:// or https://']);
    expect(problemsOf({ ...minimal, endpoint: "s3.example.com" })).toEqual(['endpoint "s3.example.com" does not start with http:// or https://']);
    expect(problemsOf({ ...minimal, endpoint: "https://exa mple.com" })).toEqual(['endpoint "https://exa mple.com" is not a URL']);
    expect(problemsOf({ ...minimal, endpoint: "https://s3.example.com/?x=1" })).toEqual([
      'endpoint "https://s3.example.com/?x=1" is not a server\'s URL (a host, no query or fragment)',
    ]);
    expect(problemsOf({ ...minimal, endpoint: "https://s3.example.com/#top" })[0]).toMatch(/no query or fragment/);
    expect(problemsOf({ ...minimal, endpoint: "https://user:pw@s3.example.com" })).toEqual([
      "endpoint carries a user name or password; give the credentials as access-key and secret-key",
    ]);
  });

  it("refuses host-style addressing for an endpoint given as an IP address", () => {
    expect(problemsOf({ ...minimal, endpoint: "http://10.0.0.5:9000", "s3-uri-style": "host" })).toEqual([
      's3-uri-style "host" needs an endpoint with a DNS name, not the IP address in "http://10.0.0.5:9000"',
    ]);
    expect(problemsOf({ ...minimal, endpoint: "http://[fd00::5]:9000", "s3-uri-style": "host" })[0]).toMatch(/needs an endpoint with a DNS name/);
  });

  it("refuses a tls-ca-chain entry that holds no certificate or one that does not parse", () => {
    expect(problemsOf({ ...minimal, "tls-ca-chain": JSON.stringify(["hello"]) })).toEqual(["tls-ca-chain entry 1 holds no PEM certificate"]);
    const broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";
    expect(problemsOf({ ...minimal, "tls-ca-chain": JSON.stringify([caPem, broken]) })).toEqual([
      "tls-ca-chain entry 2 holds a certificate that does not parse",
    ]);
  });

  it("refuses a databag whose values are not strings, without throwing", () => {
    const bag = { ...minimal, region: 42 } as unknown as Record<string, string>;
    expect(problemsOf(bag)).toEqual([expect.stringMatching(/^region: /)]);
  });

  it("never shows the secret key, even where it was put into another field", () => {
    const problems = problemsOf({
      ...minimal,
      bucket: SECRET,
      endpoint: `https://${SECRET}`,
      region: `x ${SECRET}`,
      path: `a//${SECRET}`,
      "storage-class": SECRET,
      attributes: JSON.stringify([SECRET]),
      "s3-uri-style": SECRET,
      "s3-api-version": SECRET,
    });
    expect(problems.length).toBeGreaterThanOrEqual(7);
    expect(problems.join("\n")).toContain("(a value that contains the secret key)");
  });

  it("shows at most 80 characters of a bad value", () => {
    const [problem] = problemsOf({ ...minimal, region: "x".repeat(500) });
    expect(problem).toBe(`region "${"x".repeat(80)}…" is not a region name`);
  });
});
