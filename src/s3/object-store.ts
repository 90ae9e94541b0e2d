import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, rename, rm, stat } from "node:fs/promises";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
// @aws-sdk/client-s3 rather than minio: its engines field says node >=20 (minio's too), but it is the reference
// S3 client, AWS's own and kept in step with S3, and it gives what a hook needs that minio does not: separate
// connection, request and socket-idle limits, an https Agent of our own (the custom CA), and bounded retries.
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type StorageClass,
} from "@aws-sdk/client-s3";
// The namespace import lets esbuild drop the unused parts of zod (its locales): 90 kB in this bundle, not 450 kB.
import { z } from "zod";
import { fileSha256 } from "../domain/file-sha256.js";
import { SNAPSHOT_NAME, SnapshotDescription } from "../domain/snapshot-name.js";
import type { SnapshotFacts } from "../etcd/snapshots.js";
import { S3StoreError, describeFailure } from "./errors.js";
import { describeLocation, type S3Settings } from "./s3-settings.js";

/**
 * Snapshots in an S3 bucket: each as `<path>/<name>` with a JSON description beside it, `<path>/<name>.json`,
 * written after the snapshot itself, so that a description exists only for a snapshot uploaded whole; only
 * described snapshots are listed. Every download is checked against its description (length and sha256) before
 * it takes the target's name. Heavy (the SDK): bundled apart as dist/charm-s3.mjs, loaded through ./load.ts.
 */

export { S3StoreError, type S3FailureKind } from "./errors.js";

/** What lies beside a snapshot in the bucket: its facts, and the length of the file as uploaded. */
export const RemoteSnapshot = SnapshotDescription.extend({
  /** The snapshot file's length in bytes: what a download must have. */
  objectBytes: z.number().int().nonnegative(),
});
export type RemoteSnapshot = z.output<typeof RemoteSnapshot>;

/** Bounds on every request, so that a hook never hangs on an unreachable or stalled server. */
export interface S3Limits {
  /** Setting up a TCP (and TLS) connection. */
  readonly connectMs: number;
  /** A request without a big body, until the answer starts; also the longest silence allowed on a socket. */
  readonly requestMs: number;
  /** The slowest transfer allowed for a snapshot: its deadline is requestMs plus its size at this rate. */
  readonly minBytesPerSecond: number;
  /** Tries per request (the first and the retries). */
  readonly maxAttempts: number;
}
export const DEFAULT_LIMITS: S3Limits = { connectMs: 60_000, requestMs: 60_000, minBytesPerSecond: 1024 * 1024, maxAttempts: 2 };

/** A description is a few hundred bytes; anything far larger is not one of ours. */
const MAX_DESCRIPTION_BYTES = 64 * 1024;

export class S3SnapshotStore {
  private readonly client: S3Client;
  private readonly limits: S3Limits;

  constructor(
    readonly settings: S3Settings,
    limits: Partial<S3Limits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    const ca = settings.tlsCaChain.length > 0 ? [...settings.tlsCaChain] : undefined;
    this.client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      forcePathStyle: settings.uriStyle === "path",
      // Given outright, so the SDK never walks its provider chain (environment, files, instance metadata).
      credentials: { accessKeyId: settings.accessKey, secretAccessKey: settings.secretKey },
      maxAttempts: this.limits.maxAttempts,
      // Only what a request needs: the newer default checksums (aws-chunked trailers) break non-AWS servers.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      requestHandler: {
        connectionTimeout: this.limits.connectMs,
        requestTimeout: this.limits.requestMs,
        throwOnRequestTimeout: true,
        socketTimeout: this.limits.requestMs,
        // Agents, not agent options: given options, the SDK makes a fresh agent (without the CA) for every
        // upload that expects 100-continue, i.e. every snapshot over 2 MB.
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 4 }),
        // `ca` replaces the system's CAs, as a CA file does for pgbackrest: the provider names whom to trust.
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 4, ...(ca ? { ca } : {}) }),
      },
    });
    const attributes = settings.attributes;
    // The provider's `attributes`: extra headers on every upload (server-side encryption and the like).
    if (attributes.length > 0)
      this.client.middlewareStack.add(
        (next, context) => async (args) => {
          const request = args.request as { headers?: Record<string, string> };
          if (context.commandName === "PutObjectCommand" && request.headers) for (const a of attributes) request.headers[a.name] = a.value;
          return next(args);
        },
        { step: "build", name: "s3AttributesHeaders" },
      );
  }

  /** Where the snapshots are, for messages: `s3://bucket/path at endpoint`. */
  get where(): string {
    return describeLocation(this.settings);
  }

  /** Creates the bucket when it is missing; one that exists (and is ours) is fine. */
  async ensureBucket(): Promise<void> {
    const Bucket = this.settings.bucket;
    try {
      await this.send("check the bucket", (o) => this.client.send(new HeadBucketCommand({ Bucket }), o));
      return;
    } catch (error) {
      if (!(error instanceof S3StoreError) || error.kind !== "not-found") throw error;
    }
    // AWS wants the region named unless it is us-east-1; other servers ignore it.
    const configuration = this.settings.region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: this.settings.region as never } };
    try {
      await this.send("create the bucket", (o) => this.client.send(new CreateBucketCommand({ Bucket, ...configuration }), o));
    } catch (error) {
      // Made by another unit (or an earlier try) between the check and now.
      if (error instanceof S3StoreError && error.code === "BucketAlreadyOwnedByYou") return;
      throw error;
    }
  }

  /** Uploads a snapshot file and then its description; refuses a file that is not the one its facts describe. */
  async upload(localPath: string, facts: SnapshotFacts): Promise<RemoteSnapshot> {
    const { size } = await stat(localPath);
    const sha256 = await fileSha256(localPath);
    if (sha256 !== facts.sha256)
      throw new S3StoreError("integrity", `refusing to upload ${localPath}: its sha256 is ${sha256}, not the ${facts.sha256} it was taken with`);
    const parsed = RemoteSnapshot.safeParse({ ...facts, objectBytes: size });
    if (!parsed.success)
      throw new S3StoreError("integrity", `refusing to upload ${localPath}: its facts are not a snapshot's (${parsed.error.issues[0]?.message})`);
    const description = parsed.data;
    const { bucket: Bucket, storageClass } = this.settings;
    const common = { Bucket, Metadata: { sha256 }, ...(storageClass ? { StorageClass: storageClass as StorageClass } : {}) };
    await this.send(
      `upload ${description.name}`,
      (o) =>
        this.client.send(
          new PutObjectCommand({
            ...common,
            Key: this.key(description.name),
            Body: createReadStream(localPath),
            ContentLength: size,
            ContentType: "application/octet-stream",
          }),
          o,
        ),
      this.bodyDeadline(size),
    );
    const text = `${JSON.stringify(description, null, 1)}\n`;
    await this.send(`upload the description of ${description.name}`, (o) =>
      this.client.send(new PutObjectCommand({ ...common, Key: `${this.key(description.name)}.json`, Body: text, ContentType: "application/json" }), o),
    );
    return description;
  }

  /** The snapshots in the bucket under the path, by name (oldest first); a description that does not parse is skipped. */
  async list(): Promise<RemoteSnapshot[]> {
    const prefix = this.settings.path ? `${this.settings.path}/` : "";
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.send("list the snapshots", (o) =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix, Delimiter: "/", ContinuationToken: token }), o),
      );
      for (const entry of page.Contents ?? [])
        if (entry.Key?.endsWith(".db.json") && (entry.Size ?? 0) <= MAX_DESCRIPTION_BYTES) keys.push(entry.Key.slice(prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const found: RemoteSnapshot[] = [];
    for (const file of keys) {
      const description = await this.description(file.slice(0, -".json".length));
      if (description) found.push(description);
    }
    return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Downloads a snapshot into `toFile`: into a temporary file beside it, checked against its description (length
   * and sha256), then renamed into place. On a mismatch only the temporary file is removed, and the error says
   * what differs.
   */
  async download(name: string, toFile: string): Promise<RemoteSnapshot> {
    if (!SNAPSHOT_NAME.test(name)) throw new S3StoreError("not-found", `${JSON.stringify(name)} is not a snapshot name`);
    const description = await this.description(name);
    if (!description) throw new S3StoreError("not-found", `no snapshot ${name} (with a valid description) in ${this.where}`);
    const temporary = path.join(path.dirname(toFile), `.${path.basename(toFile)}.${randomBytes(6).toString("hex")}.part`);
    const deadline = this.bodyDeadline(description.objectBytes);
    try {
      const object = await this.send(
        `download ${name}`,
        (o) => this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.key(name) }), o),
        deadline,
      );
      if (!(object.Body instanceof Readable)) throw new S3StoreError("other", `downloading ${name} from ${this.where}: the answer has no body`);
      const hash = createHash("sha256");
      let bytes = 0;
      const count = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      try {
        await pipeline(object.Body, count, createWriteStream(temporary, { flags: "wx", mode: 0o600 }), { signal: AbortSignal.timeout(deadline) });
      } catch (error) {
        throw this.failure(`download ${name}`, error);
      }
      const sha256 = hash.digest("hex");
      const mismatch =
        bytes !== description.objectBytes
          ? `it has ${bytes} bytes, not the ${description.objectBytes} of its description`
          : sha256 !== description.sha256
            ? `its sha256 is ${sha256}, not the ${description.sha256} of its description`
            : undefined;
      if (mismatch) throw new S3StoreError("integrity", `snapshot ${name} downloaded from ${this.where} is not the one uploaded: ${mismatch}`);
      const handle = await open(temporary, "r+");
      await handle.sync().finally(() => handle.close());
      await rename(temporary, toFile);
      return description;
    } finally {
      // Ours alone: the target is never touched unless the snapshot verified.
      await rm(temporary, { force: true });
    }
  }

  /** Closes the client's connections, so that the hook's process can end. */
  close(): void {
    this.client.destroy();
  }

  private key(name: string): string {
    return this.settings.path ? `${this.settings.path}/${name}` : name;
  }

  private bodyDeadline(bytes: number): number {
    return this.limits.requestMs + Math.ceil((bytes / this.limits.minBytesPerSecond) * 1000);
  }

  /** A snapshot's description, or undefined when it is missing, too large or not valid. */
  private async description(name: string): Promise<RemoteSnapshot | undefined> {
    let text: string;
    try {
      const object = await this.send(`read the description of ${name}`, (o) =>
        this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: `${this.key(name)}.json` }), o),
      );
      if ((object.ContentLength ?? 0) > MAX_DESCRIPTION_BYTES || !object.Body) return undefined;
      text = await object.Body.transformToString("utf8");
    } catch (error) {
      if (error instanceof S3StoreError && error.kind === "not-found") return undefined;
      throw error;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return undefined;
    }
    const parsed = RemoteSnapshot.safeParse(raw);
    // A description must describe the object beside it, not another one.
    return parsed.success && parsed.data.name === name ? parsed.data : undefined;
  }

  /** Runs one SDK call under the store's limits; its failure becomes an S3StoreError naming `what` and where. */
  private async send<T>(
    what: string,
    run: (options: { requestTimeout?: number; abortSignal: AbortSignal }) => Promise<T>,
    requestTimeout?: number,
  ): Promise<T> {
    const perTry = (requestTimeout ?? this.limits.requestMs) + this.limits.connectMs;
    try {
      // The SDK's own limits bound each try; this bounds all of them with their back-off.
      return await run({ requestTimeout, abortSignal: AbortSignal.timeout(perTry * this.limits.maxAttempts + 30_000) });
    } catch (error) {
      throw this.failure(what, error);
    }
  }

  private failure(what: string, error: unknown): S3StoreError {
    return describeFailure(what, this.where, error, this.settings.secretKey);
  }
}
