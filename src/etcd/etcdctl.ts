import { runProgram } from "../run-program.js";
import { parse as parseLossless, isSafeNumber } from "lossless-json";
import { z } from "zod";
import { hexId, type Member } from "../domain/member.js";

export type { Member };

/** etcd prints uint64 ids as bare JSON numbers; they lose precision as doubles, so ids stay decimal strings. */
const Uint64 = z.union([z.string().regex(/^[0-9]+$/), z.number().int().nonnegative()]).transform(String);
const Count = z.union([z.number(), z.string().regex(/^[0-9]+$/)]).transform(Number);

const Header = z.object({ cluster_id: Uint64, member_id: Uint64, raft_term: Count.optional() });

/** A member as etcdctl prints it, read into the charm's domain type. */
const EtcdctlMember = z
  .object({
    ID: Uint64,
    name: z.string().optional().default(""),
    peerURLs: z.array(z.string()).optional().default([]),
    clientURLs: z.array(z.string()).optional().default([]),
    isLearner: z.boolean().optional().default(false),
  })
  .transform((m): Member => ({ id: m.ID, name: m.name, peerUrls: m.peerURLs, clientUrls: m.clientURLs, isLearner: m.isLearner }));

/** `member list -w json`, and the gateway's /v3/cluster/member/list (the same JSON). */
export const MemberList = z.object({ header: Header, members: z.array(EtcdctlMember).optional().default([]) });

/**
 * `endpoint status -w json`: the same fields from etcdctl 3.4 and 3.5 (measured: 3.5.16 against 3.4.23); both
 * leave zero values out, and unknown fields are ignored, so either version's etcdctl reads either's members.
 */
export const EndpointStatus = z.object({
  Endpoint: z.string(),
  Status: z.object({
    header: Header.extend({ revision: Count.optional() }),
    version: z.string(),
    // etcdctl's JSON leaves out zero values: no leader (mid-election) is a missing `leader`.
    dbSize: Count.optional().default(0),
    leader: Uint64.optional().default("0"),
    raftIndex: Count.optional().default(0),
    raftTerm: Count.optional().default(0),
    raftAppliedIndex: Count.optional(),
    dbSizeInUse: Count.optional(),
    isLearner: z.boolean().optional().default(false),
    errors: z.array(z.string()).optional().default([]),
  }),
});
export type EndpointStatus = z.output<typeof EndpointStatus>;

export const EndpointHealth = z.object({
  endpoint: z.string(),
  health: z.boolean(),
  took: z.string().optional().default(""),
  error: z.string().optional(),
});
export type EndpointHealth = z.output<typeof EndpointHealth>;

export class EtcdctlError extends Error {
  override readonly name = "EtcdctlError";
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
    readonly notInstalled = false,
  ) {
    super(notInstalled ? "etcdctl is not installed" : `etcdctl ${args.join(" ")} failed: ${firstErrorLine(stderr)}`);
  }
}

/** The most telling line of etcdctl's stderr (it prefixes the reason with "Error:"). */
export function firstErrorLine(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const error = lines.find((line) => line.startsWith("Error:")) ?? lines.find((line) => /error/i.test(line));
  return (error ?? lines[0] ?? "no output").replace(/^Error:\s*/, "");
}

/** Why something failed, for an operator: etcdctl's own reason for an EtcdctlError, else the error's message. */
export function errorReason(error: unknown): string {
  return error instanceof EtcdctlError ? firstErrorLine(error.stderr) : error instanceof Error ? error.message : String(error);
}

export interface EtcdctlTimeouts {
  readonly dialTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

/** Every etcdctl timeout the charm uses, by what the call is for. */
export const ETCDCTL_TIMEOUTS = {
  /** Looking at the cluster in each step of a hook: a member that does not answer quickly counts as not answering. */
  observe: { dialTimeoutMs: 1000, commandTimeoutMs: 2000 },
  /** Membership changes and leader moves: raft must commit them, which takes longer on a busy cluster. */
  change: { dialTimeoutMs: 2000, commandTimeoutMs: 10_000 },
  /** The health action's questions: an operator is waiting for the answer. */
  report: { dialTimeoutMs: 2000, commandTimeoutMs: 5000 },
} as const satisfies Record<string, EtcdctlTimeouts>;

/** A client certificate and the CAs to verify members with: etcdctl's --cacert, --cert and --key. */
export interface ClientTls {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** etcdctl's flags for a client identity (none for plaintext). */
export function tlsFlags(tls: ClientTls | undefined): string[] {
  return tls ? [`--cacert=${tls.caFile}`, `--cert=${tls.certFile}`, `--key=${tls.keyFile}`] : [];
}

export interface EtcdctlOptions {
  readonly endpoints: readonly string[];
  /** Client TLS for https endpoints. etcdctl applies one transport to all endpoints of a call, so callers group them by scheme. */
  readonly tls?: ClientTls;
  /** ETCDCTL_TIMEOUTS.report unless told. */
  readonly timeouts?: EtcdctlTimeouts;
  readonly binary?: string;
}

/** Parses etcdctl's JSON without losing uint64 precision. */
export function parseEtcdJson(text: string): unknown {
  return parseLossless(text, null, (value) => (isSafeNumber(value) ? Number(value) : value));
}

/** etcdctl (API v3) against a fixed set of endpoints; the only code that talks to etcd. */
export class Etcdctl {
  constructor(private readonly options: EtcdctlOptions) {}

  private async run(args: readonly string[], input?: string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const { endpoints, timeouts = ETCDCTL_TIMEOUTS.report, binary = "etcdctl" } = this.options;
    const { dialTimeoutMs, commandTimeoutMs } = timeouts;
    const fullArgs = [
      `--endpoints=${endpoints.join(",")}`,
      `--dial-timeout=${dialTimeoutMs}ms`,
      `--command-timeout=${commandTimeoutMs}ms`,
      ...tlsFlags(this.options.tls),
      ...args,
    ];
    const result = await runProgram(binary, fullArgs, {
      ...(input === undefined ? {} : { input }),
      env: { ETCDCTL_API: "3" },
      timeoutMs: dialTimeoutMs + commandTimeoutMs + 5000,
    });
    if (result.exitCode === undefined) {
      throw new EtcdctlError(fullArgs, undefined, result.stderr || result.reason, result.errorCode === "ENOENT");
    }
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
  }

  private async json<T extends z.ZodType>(args: readonly string[], schema: T, allowPartial = false): Promise<z.output<T>> {
    const outcome = await this.run([...args, "-w", "json"]);
    if (outcome.exitCode !== 0 && !(allowPartial && outcome.stdout.trim())) {
      throw new EtcdctlError(args, outcome.exitCode, outcome.stderr);
    }
    return schema.parse(parseEtcdJson(outcome.stdout));
  }

  async memberList(): Promise<Member[]> {
    return (await this.json(["member", "list"], MemberList)).members;
  }

  /** Adds a learner (a non-voting member that catches up first) and returns the member list including it. */
  async addLearner(name: string, peerUrl: string): Promise<{ added: Member; members: Member[] }> {
    const result = await this.json(["member", "add", name, `--peer-urls=${peerUrl}`, "--learner"], MemberList.extend({ member: EtcdctlMember }));
    return { added: result.member, members: result.members };
  }

  /** Makes a caught-up learner a voter; fails while it is still catching up. */
  async promote(memberId: string): Promise<"promoted" | "already-voting"> {
    try {
      await this.check(["member", "promote", hexId(memberId)]);
      return "promoted";
    } catch (error) {
      // etcd's answer for a voter; "…which is in sync with leader" means a learner that is not ready yet.
      if (error instanceof EtcdctlError && /^Error: etcdserver: can only promote a learner member$/m.test(error.stderr)) return "already-voting";
      throw error;
    }
  }

  /** Tells the cluster a member's new peer URLs (a scheme change); the member restarts into them next. */
  async updatePeerUrls(memberId: string, peerUrls: readonly string[]): Promise<void> {
    await this.check(["member", "update", hexId(memberId), `--peer-urls=${peerUrls.join(",")}`]);
  }

  async remove(memberId: string): Promise<void> {
    await this.check(["member", "remove", hexId(memberId)]);
  }

  /** Hands raft leadership to another voter; must be sent to the current leader's endpoint. */
  async moveLeader(toMemberId: string): Promise<void> {
    await this.check(["move-leader", hexId(toMemberId)]);
  }

  /** A new lease (hex id, as etcdctl prints and takes it) of `ttlSeconds`. */
  async leaseGrant(ttlSeconds: number): Promise<string> {
    const outcome = await this.run(["lease", "grant", String(ttlSeconds)]);
    const id = /^lease ([0-9a-f]+) granted/m.exec(outcome.stdout)?.[1];
    if (outcome.exitCode !== 0 || !id) throw new EtcdctlError(["lease", "grant"], outcome.exitCode, outcome.stderr || outcome.stdout);
    return id;
  }

  async leaseRevoke(lease: string): Promise<void> {
    await this.check(["lease", "revoke", lease]);
  }

  /** Creates the key with the value on the lease only if it does not exist, in one transaction: whether it did. */
  async createIfAbsent(key: string, value: string, lease: string): Promise<boolean> {
    const quote = JSON.stringify;
    const request = `create(${quote(key)}) = "0"\n\nput --lease=${lease} ${quote(key)} ${quote(value)}\n\n\n`;
    const outcome = await this.run(["txn", "-w", "json"], request);
    if (outcome.exitCode !== 0) throw new EtcdctlError(["txn"], outcome.exitCode, outcome.stderr);
    return z.object({ succeeded: z.boolean().optional().default(false) }).parse(parseEtcdJson(outcome.stdout)).succeeded;
  }

  /** Keys under a prefix with the revision each was created at. */
  async createRevisions(prefix: string): Promise<Array<{ key: string; createRevision: number }>> {
    const Keys = z.object({
      kvs: z
        .array(z.object({ key: z.string(), create_revision: Count }))
        .optional()
        .default([]),
    });
    const { kvs } = await this.json(["get", "--prefix", "--keys-only", prefix], Keys);
    return kvs.map((kv) => ({ key: Buffer.from(kv.key, "base64").toString("utf8"), createRevision: kv.create_revision }));
  }

  /** Defragments the backend of each endpoint asked (one member at a time: callers pass one). */
  async defrag(): Promise<void> {
    await this.check(["defrag"]);
  }

  /** Drops the key-value history before `revision`; `physical` waits until the backend has let it go. */
  async compact(revision: number, physical: boolean): Promise<void> {
    await this.check(["compaction", String(revision), ...(physical ? ["--physical"] : [])]);
  }

  /** Saves a snapshot of the (one) endpoint's backend to `file`. */
  async snapshotSave(file: string): Promise<void> {
    await this.check(["snapshot", "save", file]);
  }

  /** Active alarms (`alarm list`, or `alarm disarm` which lists what it cleared): member id (decimal) and type. */
  async alarms(disarm = false): Promise<Alarm[]> {
    const args = ["alarm", disarm ? "disarm" : "list"];
    const outcome = await this.run(args);
    if (outcome.exitCode !== 0) throw new EtcdctlError(args, outcome.exitCode, outcome.stderr);
    return [...outcome.stdout.matchAll(/memberID:([0-9]+) alarm:([A-Z]+)/g)].map(([, memberId = "", alarm = ""]) => ({ memberId, alarm }));
  }

  /** Writes a key: a round trip through raft. */
  async put(key: string, value: string): Promise<void> {
    await this.check(["put", key, value]);
  }

  async get(key: string): Promise<string | undefined> {
    const outcome = await this.run(["get", key, "--print-value-only"]);
    if (outcome.exitCode !== 0) throw new EtcdctlError(["get", key], outcome.exitCode, outcome.stderr);
    return outcome.stdout === "" ? undefined : outcome.stdout.replace(/\n$/, "");
  }

  private async check(args: readonly string[]): Promise<void> {
    const outcome = await this.run(args);
    if (outcome.exitCode !== 0) throw new EtcdctlError(args, outcome.exitCode, outcome.stderr);
  }

  /** Status of the given endpoints, or with `cluster` of every member; members that do not answer are absent. */
  endpointStatus(options: { cluster?: boolean } = {}): Promise<EndpointStatus[]> {
    return this.json(["endpoint", "status", ...(options.cluster ? ["--cluster"] : [])], z.array(EndpointStatus), true);
  }

  /** Health of the given endpoints or every member; unhealthy ones are reported with `health: false`. */
  endpointHealth(options: { cluster?: boolean } = {}): Promise<EndpointHealth[]> {
    return this.json(["endpoint", "health", ...(options.cluster ? ["--cluster"] : [])], z.array(EndpointHealth), true);
  }
}

/** An etcd alarm: NOSPACE (the backend reached its quota; writes are refused) or CORRUPT. */
export interface Alarm {
  readonly memberId: string;
  readonly alarm: string;
}

/** The lock was not taken (in time, or etcdctl gave up): `work` has not run, so asking again is safe. */
export class LockNotTakenError extends Error {
  override readonly name = "LockNotTakenError";
}
