import { z } from "zod";
import { isIpAddress } from "../domain/address.js";
import { SNAPSHOT_NAME } from "../domain/snapshot-name.js";

/**
 * What units tell each other, validated: leader settings (written by the Juju leader) and each unit's bag in
 * the `cluster` peer relation. Anything malformed is dropped and reported, never used.
 */

const MEMBER_NAME = /^[a-z][a-z0-9-]*[0-9]+$/;
const TOKEN = /^[A-Za-z0-9]{16,64}$/;
const PEER_URL = /^https?:\/\/(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):(\d{1,5})$/;
/** `name=http://ip:port,…`, the form etcd's initial-cluster takes. */
const INITIAL_CLUSTER = /^[a-z][a-z0-9-]*[0-9]+=https?:\/\/[0-9a-fA-F.:[\]]+:\d{1,5}(,[a-z][a-z0-9-]*[0-9]+=https?:\/\/[0-9a-fA-F.:[\]]+:\d{1,5})*$/;
/** A Juju secret URI (`secret:<20 base32 chars>`, or with a model UUID in the long form). */
const SECRET_URI = /^secret:(?:\/\/[0-9a-f-]{36}\/)?[0-9a-v]{20}$/;
/**
 * Certificates in PEM, public material only (leader data is readable by every unit). Read with a trailing
 * newline whether or not the store kept it.
 */
const CertificateBundle = z
  .string()
  .max(65_536)
  .transform((text) => `${text.replace(/\r\n/g, "\n").trim()}\n`)
  .pipe(z.string().regex(/^(?:-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----\n)+$/));

export const MemberName = z.string().regex(MEMBER_NAME).max(64);
export const PeerUrl = z.string().regex(PEER_URL).max(64);
/** Comma-separated URLs (possibly none), at most 64 of them. */
const ClientUrlList = z
  .string()
  .max(4096)
  .transform((text) => (text === "" ? [] : text.split(",")))
  .pipe(z.array(PeerUrl).max(64));
export const Address = z.string().refine(isIpAddress, "not an IP address");

export interface Rejected {
  readonly key: string;
  readonly reason: string;
}

/** Leader settings: the cluster token, who bootstrapped, and a join grant per member name. */
export interface LeaderData {
  readonly token: string | undefined;
  readonly bootstrapMember: string | undefined;
  /** member name → the initial-cluster string it must start with. */
  readonly grants: Readonly<Record<string, string>>;
  /** The voting members' names, sorted and comma-separated, as the leader last recorded them. */
  readonly members: string | undefined;
  /**
   * The voting members' client URLs (in the same order), as the leader last recorded them: where a unit
   * that has not seen its peers yet (a joiner, before its cluster-relation-joined hooks) finds the cluster.
   */
  readonly clientUrls: readonly string[];
  /** The snapshot a restore action is putting the cluster back to, while that action runs. */
  readonly restoring?: string | undefined;
  /** The newest verified snapshot the leader took (scheduled, or the snapshot action on the leader). */
  readonly latestSnapshot?: { readonly name: string; readonly takenAtMs: number } | undefined;
  /** The last scheduled snapshot that failed, when none succeeded since: when, and why. */
  readonly snapshotFailure?: { readonly atMs: number; readonly reason: string } | undefined;
  /** The Juju secret holding the cluster CA's certificate and key (readable by every unit of this application). */
  readonly caSecretId: string | undefined;
  /** The CA certificates members trust (public), PEM: the current CA first, then any other still trusted. */
  readonly caBundle: string | undefined;
  /** The charm's own CA certificate (public): the CA members are issued from when no provider relation gives one. */
  readonly ownCa: string | undefined;
  /**
   * Consumer relation number → its client identity: `<secret id>,<issuer fingerprint>` (the Juju secret holding
   * the certificate and key, and the CA that issued the certificate). See clientIdentityRef.
   */
  readonly clientSecrets: Readonly<Record<string, string>>;
}

/**
 * A client identity's leader-data value, split: the secret's id, which CA issued its certificate and when it is
 * to be renewed (ms since the epoch); undefined where the value does not say.
 */
export function clientIdentityRef(value: string): { secretId: string; issuer: string | undefined; renewAtMs: number | undefined } {
  const [secretId = "", issuer, renewAt] = value.split(",");
  return { secretId, issuer, renewAtMs: renewAt ? Number(renewAt) * 1000 : undefined };
}

/** The leader-data value of a client identity (see clientIdentityRef). */
export function clientIdentityValue(secretId: string, issuer: string, renewAtMs: number): string {
  return `${secretId},${issuer},${Math.floor(renewAtMs / 1000)}`;
}

/** 16 hex digits of a certificate's SHA-256 (etcd/tls-files certificateFingerprint). */
const FINGERPRINT = /^[0-9a-f]{16}$/;
/** A client identity's value: a secret URI, then the issuing CA's fingerprint and the renewal time (s); an older value has only the URI. */
const CLIENT_IDENTITY = new RegExp(`${SECRET_URI.source.slice(0, -1)}(?:,[0-9a-f]{16},[0-9]{1,12})?$`);

export const LEADER_KEYS = {
  token: "cluster-token",
  bootstrapMember: "bootstrap-member",
  grantPrefix: "join-",
  members: "cluster-members",
  clientUrls: "cluster-client-urls",
  caSecret: "tls-ca-secret",
  caBundle: "tls-ca",
  ownCa: "tls-own-ca",
  /** `tls-client-<relation number>`: one client identity per consumer relation. */
  clientSecretPrefix: "tls-client-",
  /** The snapshot a restore action is putting the cluster back to, while it runs: no unit joins meanwhile. */
  restoring: "restoring",
  /** `<ms since the epoch>,<snapshot name>`: the newest verified snapshot the leader took. */
  latestSnapshot: "snapshot-latest",
  /** `<ms since the epoch>,<reason>`: the last scheduled snapshot failed (cleared by the next that succeeds). */
  snapshotFailure: "snapshot-failed",
} as const;

/** The leader-data value of a snapshot the leader took. */
export function latestSnapshotValue(name: string, takenAtMs: number): string {
  return `${Math.floor(takenAtMs)},${name}`;
}

/** The leader-data value of a scheduled snapshot that failed. */
export function snapshotFailureValue(atMs: number, reason: string): string {
  return `${Math.floor(atMs)},${reason.replace(/\s+/g, " ").slice(0, 300)}`;
}

const LatestSnapshot = z
  .string()
  .regex(new RegExp(`^[0-9]{1,15},${SNAPSHOT_NAME.source.replace(/^\^/, "")}`))
  .transform((value) => ({ takenAtMs: Number(value.slice(0, value.indexOf(","))), name: value.slice(value.indexOf(",") + 1) }));
const SnapshotFailure = z
  .string()
  .regex(/^[0-9]{1,15},.{1,300}$/)
  .transform((value) => ({ atMs: Number(value.slice(0, value.indexOf(","))), reason: value.slice(value.indexOf(",") + 1) }));

export function parseLeaderData(raw: Readonly<Record<string, string>>): { data: LeaderData; rejected: Rejected[] } {
  const rejected: Rejected[] = [];
  const take = <T>(key: string, schema: z.ZodType<T>): T | undefined => {
    if (!Object.hasOwn(raw, key)) return undefined;
    const parsed = schema.safeParse(raw[key]);
    if (parsed.success) return parsed.data;
    rejected.push({ key, reason: parsed.error.issues[0]?.message ?? "invalid" });
    return undefined;
  };
  const grants: Record<string, string> = {};
  const clientSecrets: Record<string, string> = {};
  for (const key of Object.keys(raw)) {
    if (key.startsWith(LEADER_KEYS.clientSecretPrefix)) {
      const number = key.slice(LEADER_KEYS.clientSecretPrefix.length);
      const value = take(key, z.string().regex(CLIENT_IDENTITY));
      if (!/^[0-9]{1,9}$/.test(number)) rejected.push({ key, reason: "not a relation number" });
      else if (value !== undefined) clientSecrets[number] = value;
      continue;
    }
    if (!key.startsWith(LEADER_KEYS.grantPrefix)) continue;
    const member = key.slice(LEADER_KEYS.grantPrefix.length);
    const value = take(key, z.string().regex(INITIAL_CLUSTER).max(4096));
    if (!MEMBER_NAME.test(member)) rejected.push({ key, reason: "not a member name" });
    else if (value !== undefined) grants[member] = value;
  }
  return {
    data: {
      token: take(LEADER_KEYS.token, z.string().regex(TOKEN)),
      bootstrapMember: take(LEADER_KEYS.bootstrapMember, MemberName),
      grants,
      members: take(
        LEADER_KEYS.members,
        z
          .string()
          .regex(/^([a-z][a-z0-9-]*[0-9]+(,[a-z][a-z0-9-]*[0-9]+)*)?$/)
          .max(4096),
      ),
      clientUrls: take(LEADER_KEYS.clientUrls, ClientUrlList) ?? [],
      restoring: take(LEADER_KEYS.restoring, z.string().regex(SNAPSHOT_NAME)),
      latestSnapshot: take(LEADER_KEYS.latestSnapshot, LatestSnapshot),
      snapshotFailure: take(LEADER_KEYS.snapshotFailure, SnapshotFailure),
      caSecretId: take(LEADER_KEYS.caSecret, z.string().regex(SECRET_URI)),
      caBundle: take(LEADER_KEYS.caBundle, CertificateBundle),
      ownCa: take(LEADER_KEYS.ownCa, CertificateBundle),
      clientSecrets,
    },
    rejected,
  };
}

/** A peer unit's bag: Juju's address keys plus what the charm publishes about its member. */
export interface PeerUnitData {
  readonly address: string | undefined;
  readonly peerUrl: string | undefined;
  readonly clientUrl: string | undefined;
  /** The unit runs an etcd member (a learner or a voter). */
  readonly started: boolean;
  /** Fingerprints of the CAs the running member trusts (it can dial https peers with certificates from them). */
  readonly trustedCas: readonly string[];
  /** Fingerprint of the CA that issued its member certificate; undefined when not told. */
  readonly certIssuer: string | undefined;
  /** CAs that issued the client identities it has published to consumers (committed); undefined when not told. */
  readonly clientIssuers: readonly string[] | undefined;
}

export const PEER_KEYS = {
  peerUrl: "peer-url",
  clientUrl: "client-url",
  state: "member-state",
  trustedCas: "tls-trusted-cas",
  certIssuer: "tls-cert-issuer",
  /** Comma-separated fingerprints, or "none" (Juju drops a key set to ""). */
  clientIssuers: "tls-client-issuers",
  /**
   * This unit's member's id in the cluster, once it is a member. A unit that joins afresh (after a restore, or
   * with its old member removed) publishes everything else as before: the new id is what tells its peers, and
   * the leader, to look at the cluster again (their status, the members the leader records).
   */
  memberId: "member-id",
  /**
   * The etcd version this unit's member runs ("3.5.16"), empty while it runs none: a member restarted on a new
   * version (its machine upgraded) tells its peers so, and they report where the move stands.
   */
  etcdVersion: "etcd-version",
} as const;

const PeerBag = z.object({
  "ingress-address": Address.optional(),
  "private-address": Address.optional(),
  [PEER_KEYS.peerUrl]: PeerUrl.optional(),
  [PEER_KEYS.clientUrl]: PeerUrl.optional(),
  [PEER_KEYS.state]: z.enum(["started", "waiting"]).optional(),
  [PEER_KEYS.trustedCas]: z
    .string()
    .regex(/^[0-9a-f]{16}(,[0-9a-f]{16}){0,7}$/)
    .optional(),
  [PEER_KEYS.certIssuer]: z.string().regex(FINGERPRINT).optional(),
  [PEER_KEYS.clientIssuers]: z
    .string()
    .regex(/^(none|[0-9a-f]{16}(,[0-9a-f]{16}){0,15})$/)
    .optional(),
});

function clientIssuersOf(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value === "none" ? [] : value.split(",");
}

/** The peer-data value for the CAs of the identities a unit has published (see PEER_KEYS.clientIssuers). */
export function clientIssuersValue(published: Readonly<Record<string, string>>): string {
  const issuers = [...new Set(Object.values(published).flatMap((value) => clientIdentityRef(value).issuer ?? []))].sort();
  return issuers.length > 0 ? issuers.join(",") : "none";
}

export function parsePeerUnitData(raw: Readonly<Record<string, string>>): { data: PeerUnitData; rejected: Rejected[] } {
  const rejected: Rejected[] = [];
  const clean: Record<string, string> = {};
  const shape = PeerBag.shape;
  for (const [key, schema] of Object.entries(shape)) {
    if (!Object.hasOwn(raw, key)) continue;
    const parsed = schema.safeParse(raw[key]);
    if (parsed.success && parsed.data !== undefined) clean[key] = parsed.data;
    else rejected.push({ key, reason: parsed.success ? "empty" : (parsed.error.issues[0]?.message ?? "invalid") });
  }
  return {
    data: {
      address: clean["ingress-address"] ?? clean["private-address"],
      peerUrl: clean[PEER_KEYS.peerUrl],
      clientUrl: clean[PEER_KEYS.clientUrl],
      started: clean[PEER_KEYS.state] === "started",
      trustedCas: clean[PEER_KEYS.trustedCas]?.split(",") ?? [],
      certIssuer: clean[PEER_KEYS.certIssuer],
      clientIssuers: clientIssuersOf(clean[PEER_KEYS.clientIssuers]),
    },
    rejected,
  };
}

/**
 * On the leader: a CA it created ({id, bundle} as JSON) that is not yet in leader data. Leader data applies at
 * once but a new secret only when its hook succeeds, so the id is published in a later hook, once this key (which
 * is committed with the same hook as the secret) shows that the secret exists.
 */
export const PENDING_CA_STATE_KEY = "pending-ca";
const PendingCa = z.object({ id: z.string().regex(SECRET_URI), bundle: CertificateBundle });
export type PendingCa = z.infer<typeof PendingCa>;

export function parsePendingCa(text: string | undefined): PendingCa | undefined {
  return parseStateJson<PendingCa | undefined>(text, PendingCa, undefined);
}

/**
 * On the leader: client identities (relation number → leader-data value, see clientIdentityRef) whose secret it
 * created or changed but has not put in leader data yet.
 */
export const PENDING_CLIENT_SECRETS_STATE_KEY = "pending-client-secrets";
const PendingClientSecrets = z.record(z.string().regex(/^[0-9]{1,9}$/), z.string().regex(CLIENT_IDENTITY));

export function parsePendingClientSecrets(text: string | undefined): Record<string, string> {
  return parseStateJson(text, PendingClientSecrets, {});
}

/** Consumer relation id → the client-credentials secret this unit published there, as JSON in unit state. */
export const PUBLISHED_CREDENTIALS_STATE_KEY = "published-client-credentials";
const PublishedCredentials = z.record(z.string().regex(/^[a-z-]+:[0-9]{1,9}$/), z.string().regex(CLIENT_IDENTITY));

export function parsePublishedCredentials(text: string | undefined): Record<string, string> {
  return parseStateJson(text, PublishedCredentials, {});
}

/** Units this unit saw depart, kept in its Juju unit state (state-set) as a JSON array. */
export const DEPARTED_STATE_KEY = "departed-units";
/** Set in unit state once this unit has left the cluster: from then on every hook only winds down. */
export const LEFT_STATE_KEY = "left-cluster";
/** On the leader: learners no unit claims yet, member id → when first seen (ms), as JSON. */
export const UNCLAIMED_STATE_KEY = "unclaimed-learners";
const UnclaimedLearners = z.record(z.string().regex(/^[0-9]{1,20}$/), z.number().int().nonnegative());

/** A JSON value kept in unit state, or `empty` when it is missing or malformed. */
function parseStateJson<T>(text: string | undefined, schema: z.ZodType<T>, empty: T): T {
  if (!text) return empty;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : empty;
  } catch {
    return empty;
  }
}

export function parseUnclaimedLearners(text: string | undefined): Record<string, number> {
  return parseStateJson(text, UnclaimedLearners, {});
}

export const DepartedUnits = z.array(z.string().regex(/^[a-z][a-z0-9-]*\/[0-9]+$/));

export function parseDepartedUnits(text: string | undefined): string[] {
  return parseStateJson(text, DepartedUnits, []);
}
