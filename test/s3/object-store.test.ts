import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SnapshotFacts } from "../../src/etcd/snapshots.js";
import { S3SnapshotStore, S3StoreError, type S3Limits } from "../../src/s3/object-store.js";
import { parseS3Settings, type S3Settings } from "../../src/s3/s3-settings.js";
import { type S3TestServer, startS3Server } from "../helpers/s3-server.js";

/**
 * The S3 snapshot store against a real S3-protocol server (s3rver) on loopback, with plain small files as
 * "snapshots" (no etcd needed): their facts are made up, their bytes and sha256 are real.
 */

const NAME = "etcd-snapshot-20250102T030405Z-rev42.db";
const OLDER = "etcd-snapshot-20250101T000000Z-rev7.db";

let work: string;
let server: S3TestServer;
const stores: S3SnapshotStore[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "s3-store-"));
  server = await startS3Server();
});
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});
afterAll(async () => {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

function settingsFor(s: S3TestServer, bag: Record<string, string> = {}): S3Settings {
  const result = parseS3Settings({
    bucket: "etcd-backups",
    "access-key": s.accessKey,
    "secret-key": s.secretKey,
    endpoint: s.endpoint,
    path: "etcd/prod",
    ...bag,
  });
  if (!result.ok) throw new Error(result.problems.join("; "));
  return result.settings;
}

function storeFor(settings: S3Settings, limits: Partial<S3Limits> = {}): S3SnapshotStore {
  const store = new S3SnapshotStore(settings, limits);
  stores.push(store);
  return store;
}

/** A file of `bytes` random bytes as a snapshot named `name`, with its real sha256. */
async function snapshotFile(name: string, bytes = 20_512): Promise<{ file: string; facts: SnapshotFacts; data: Buffer }> {
  const data = randomBytes(bytes);
  const file = path.join(work, `local-${randomBytes(4).toString("hex")}-${name}`);
  await writeFile(file, data);
  const facts: SnapshotFacts = {
    name,
    path: file,
    revision: Number(/rev(\d+)/.exec(name)?.[1]),
    keys: 7,
    sizeBytes: bytes - 32,
    hash: 2465637227,
    sha256: createHash("sha256").update(data).digest("hex"),
    takenAt: "2025-01-02T03:04:05.000Z",
    member: "etcd0",
    scheduled: false,
  };
  return { file, facts, data };
}

/** A client of the test's own, for doing to the bucket what the store never would. */
function rawClient(s: S3TestServer): S3Client {
  return new S3Client({
    endpoint: s.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: s.accessKey, secretAccessKey: s.secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

async function rejection(promise: Promise<unknown>): Promise<S3StoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(S3StoreError);
  return error as S3StoreError;
}

describe("S3SnapshotStore against s3rver over http", () => {
  it("creates the bucket once and accepts it when it already exists", async () => {
    const store = storeFor(settingsFor(server));
    await store.ensureBucket();
    await store.ensureBucket();
    expect(await store.list()).toEqual([]);
  });

  it("uploads a snapshot with its description and sha256 metadata; list returns exactly it", async () => {
    const store = storeFor(settingsFor(server));
    await store.ensureBucket();
    const { file, facts } = await snapshotFile(NAME);
    const { path: _local, ...described } = facts;
    const expected = { ...described, objectBytes: 20_512 };
    expect(await store.upload(file, facts)).toEqual(expected);
    expect(await store.list()).toEqual([expected]);

    const client = rawClient(server);
    const object = await client.send(new GetObjectCommand({ Bucket: "etcd-backups", Key: `etcd/prod/${NAME}` }));
    expect(object.Metadata).toEqual({ sha256: facts.sha256 });
    expect(object.ContentLength).toBe(20_512);
    await object.Body?.transformToByteArray();
    const description = await client.send(new GetObjectCommand({ Bucket: "etcd-backups", Key: `etcd/prod/${NAME}.json` }));
    expect(JSON.parse((await description.Body?.transformToString()) ?? "")).toEqual(expected);
    client.destroy();
  });

  it("downloads a snapshot to a new path, verified, with the same bytes", async () => {
    const store = storeFor(settingsFor(server));
    const { file, facts, data } = await snapshotFile(NAME);
    await store.upload(file, facts);
    const target = path.join(await mkdtemp(path.join(work, "restore-")), "restored.db");
    expect((await store.download(NAME, target)).sha256).toBe(facts.sha256);
    expect(await readFile(target)).toEqual(data);
    expect(await readdir(path.dirname(target))).toEqual(["restored.db"]);
  });

  it("lists by name, skipping descriptions that do not parse, describe another object or lie outside the path", async () => {
    const store = storeFor(settingsFor(server, { path: "listing" }));
    await store.ensureBucket();
    for (const name of [NAME, OLDER]) {
      const { file, facts } = await snapshotFile(name);
      await store.upload(file, facts);
    }
    const client = rawClient(server);
    const put = (Key: string, Body: string) => client.send(new PutObjectCommand({ Bucket: "etcd-backups", Key, Body }));
    await put("listing/etcd-snapshot-20250103T000000Z-rev9.db.json", "{not json");
    await put("listing/etcd-snapshot-20250104T000000Z-rev9.db.json", JSON.stringify({ name: OLDER }));
    const other = JSON.parse(
      (await (await client.send(new GetObjectCommand({ Bucket: "etcd-backups", Key: `listing/${NAME}.json` }))).Body?.transformToString()) ?? "",
    );
    await put("listing/etcd-snapshot-20250105T000000Z-rev9.db.json", JSON.stringify(other));
    await put("listing/nested/etcd-snapshot-20250106T000000Z-rev9.db.json", JSON.stringify(other));
    await put("listing/notes.txt", "hello");
    client.destroy();
    expect((await store.list()).map((s) => s.name)).toEqual([OLDER, NAME]);
  });

  it("refuses a corrupted object (same length, other bytes, same metadata), leaving no target and no temporary file", async () => {
    const store = storeFor(settingsFor(server, { path: "corrupt" }));
    await store.ensureBucket();
    const { file, facts } = await snapshotFile(NAME);
    await store.upload(file, facts);
    const client = rawClient(server);
    await client.send(new PutObjectCommand({ Bucket: "etcd-backups", Key: `corrupt/${NAME}`, Body: randomBytes(20_512), Metadata: { sha256: facts.sha256 } }));
    client.destroy();
    const dir = await mkdtemp(path.join(work, "corrupt-"));
    const error = await rejection(store.download(NAME, path.join(dir, "restored.db")));
    expect(error.kind).toBe("integrity");
    expect(error.message).toMatch(
      new RegExp(
        `^snapshot ${NAME.replaceAll(".", "\\.")} downloaded from bucket "etcd-backups" path "corrupt" at http://127\\.0\\.0\\.1:\\d+ is not the one uploaded: its sha256 is [0-9a-f]{64}, not the ${facts.sha256} of its description$`,
      ),
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses a truncated object by its length, and leaves an existing file at the target alone", async () => {
    const store = storeFor(settingsFor(server, { path: "truncated" }));
    await store.ensureBucket();
    const { file, facts, data } = await snapshotFile(NAME);
    await store.upload(file, facts);
    const client = rawClient(server);
    await client.send(new PutObjectCommand({ Bucket: "etcd-backups", Key: `truncated/${NAME}`, Body: data.subarray(0, 10_000) }));
    client.destroy();
    const dir = await mkdtemp(path.join(work, "truncated-"));
    await writeFile(path.join(dir, "restored.db"), "the file that was there");
    const error = await rejection(store.download(NAME, path.join(dir, "restored.db")));
    expect(error.message).toMatch(/is not the one uploaded: it has 10000 bytes, not the 20512 of its description$/);
    expect(await readdir(dir)).toEqual(["restored.db"]);
    expect(await readFile(path.join(dir, "restored.db"), "utf8")).toBe("the file that was there");
  });

  it("refuses to download a snapshot that is not in the bucket, or a name that is not a snapshot's", async () => {
    const store = storeFor(settingsFor(server, { path: "empty" }));
    await store.ensureBucket();
    expect((await rejection(store.download(OLDER, path.join(work, "x.db")))).message).toMatch(
      /^no snapshot etcd-snapshot-.* in bucket "etcd-backups" path "empty" at http:/,
    );
    expect((await rejection(store.download("../../etc/passwd", path.join(work, "x.db")))).message).toBe('"../../etc/passwd" is not a snapshot name');
  });

  it("refuses to upload a file whose sha256 is not its facts'", async () => {
    const store = storeFor(settingsFor(server));
    const { file, facts } = await snapshotFile(NAME);
    await writeFile(file, "changed since it was taken");
    const error = await rejection(store.upload(file, facts));
    expect(error.kind).toBe("integrity");
    expect(error.message).toMatch(/^refusing to upload .*: its sha256 is [0-9a-f]{64}, not the [0-9a-f]{64} it was taken with$/);
  });

  it("says the bucket is missing, naming it and the endpoint", async () => {
    const store = storeFor(settingsFor(server, { bucket: "no-such-bucket" }));
    const error = await rejection(store.list());
    expect(error.kind).toBe("not-found");
    expect(error.message).toMatch(
      /^S3: could not list the snapshots in bucket "no-such-bucket" path "etcd\/prod" at http:\/\/127\.0\.0\.1:\d+: the bucket does not exist$/,
    );
  });

  it("says the credentials were refused, never showing the secret key", async () => {
    const store = storeFor(settingsFor(server, { "access-key": "AKIAUNKNOWN", "secret-key": "very-secret-value-123" }));
    const error = await rejection(store.ensureBucket());
    expect(error.kind).toBe("credentials");
    expect(error.message).toMatch(
      /^S3: could not check the bucket in bucket "etcd-backups" path "etcd\/prod" at http:\/\/127\.0\.0\.1:\d+: the server refused the credentials/,
    );
    expect(error.message).not.toContain("very-secret-value-123");
  });
});

describe("S3SnapshotStore when the server does not answer", () => {
  const fast: Partial<S3Limits> = { connectMs: 1_000, requestMs: 1_000, maxAttempts: 2 };
  let silent: Server;
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
  });

  it("fails at once with a clear message when nothing listens at the endpoint", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const store = storeFor(settingsFor({ ...server, endpoint: `http://127.0.0.1:${port}` }), fast);
    const error = await rejection(store.ensureBucket());
    expect(error.kind).toBe("unreachable");
    expect(error.message).toBe(
      `S3: could not check the bucket in bucket "etcd-backups" path "etcd/prod" at http://127.0.0.1:${port}: the server is unreachable (connection refused)`,
    );
  });

  it("gives up within its time limits on a server that accepts connections and never answers", async () => {
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    const store = storeFor(settingsFor({ ...server, endpoint: `http://127.0.0.1:${port}` }), fast);
    // With the default limits (a minute a try) this would outlast the test's timeout: the `fast` ones apply.
    const error = await rejection(store.list());
    expect(error.kind).toBe("unreachable");
    expect(error.message).toMatch(
      new RegExp(
        `^S3: could not list the snapshots in bucket "etcd-backups" path "etcd/prod" at http://127\\.0\\.0\\.1:${port}: the server is unreachable \\(timed out`,
      ),
    );
  });
});

describe("S3SnapshotStore over https", () => {
  let tlsServer: S3TestServer;
  beforeAll(async () => {
    tlsServer = await startS3Server({ tls: true });
  });
  afterAll(async () => {
    await tlsServer?.stop();
  });

  it("works with the provider's CA chain, for a small snapshot and one large enough for 100-continue", async () => {
    const store = storeFor(settingsFor(tlsServer, { "tls-ca-chain": JSON.stringify([tlsServer.caPem]) }));
    await store.ensureBucket();
    const small = await snapshotFile(OLDER);
    const large = await snapshotFile(NAME, 3 * 1024 * 1024);
    await store.upload(small.file, small.facts);
    await store.upload(large.file, large.facts);
    expect((await store.list()).map((s) => [s.name, s.objectBytes])).toEqual([
      [OLDER, 20_512],
      [NAME, 3 * 1024 * 1024],
    ]);
    const target = path.join(work, "over-tls.db");
    await store.download(NAME, target);
    expect(await readFile(target)).toEqual(large.data);
  });

  it("fails clearly without the CA chain: the server's certificate is not trusted", async () => {
    const store = storeFor(settingsFor(tlsServer), { maxAttempts: 1 });
    const error = await rejection(store.ensureBucket());
    expect(error.kind).toBe("tls");
    expect(error.message).toMatch(
      /^S3: could not check the bucket in bucket "etcd-backups" path "etcd\/prod" at https:\/\/127\.0\.0\.1:\d+: the server's TLS certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE.*\); the provider's tls-ca-chain must hold its CA$/,
    );
  });
});
