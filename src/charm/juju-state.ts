import type { HookTools } from "../juju/client.js";
import type { Logger } from "../log.js";
import { memberNameOf } from "../domain/member.js";
import {
  clientIssuersValue,
  DEPARTED_STATE_KEY,
  LEFT_STATE_KEY,
  parseDepartedUnits,
  parseLeaderData,
  parsePeerUnitData,
  type LeaderData,
  PENDING_CA_STATE_KEY,
  PENDING_CLIENT_SECRETS_STATE_KEY,
  parsePendingCa,
  parsePendingClientSecrets,
  parsePublishedCredentials,
  parseUnclaimedLearners,
  PUBLISHED_CREDENTIALS_STATE_KEY,
  type Rejected,
  UNCLAIMED_STATE_KEY,
} from "./cluster-data.js";
import { parseCharmConfig } from "./config.js";
import {
  CERTIFICATES_KEYS,
  CLIENT_REQUESTS_STATE_KEY,
  MEMBER_REQUEST_STATE_KEY,
  parseClientRequests,
  parseProvided,
  parseRequests,
} from "./certificates-data.js";
import { type ConsumerEndpoint, ENDPOINTS } from "../names.js";
import type { CertificatesRelation, JujuFacts, Peer } from "./observed.js";
import { readS3Relation, S3_BUCKET_KEY } from "./s3-relation.js";

export type { JujuFacts };

type Bag = Readonly<Record<string, string>>;

/** Juju's convention for every databag write: "" deletes the key. */
function merged(bag: Bag, values: Bag): Record<string, string> {
  const next: Record<string, string> = { ...bag };
  for (const [key, value] of Object.entries(values)) {
    if (value === "") delete next[key];
    else next[key] = value;
  }
  return next;
}

function warnRejected(log: Logger, source: string, rejected: readonly Rejected[]): void {
  for (const { key, reason } of rejected) log.warn({ source, key, reason }, "ignoring malformed data");
}

/**
 * Juju's side of a hook, read once and written through: each write runs its hook tool and updates what this
 * object reports in the same call (as ops' relation data content commits and caches in one object), so the
 * next decision sees the charm's own writes without anyone patching a copy by hand.
 */
export class JujuState {
  private constructor(
    /** For the tools that change nothing a decision reads (status, logs, version). */
    readonly tools: HookTools,
    private current: JujuFacts,
    private leaderBag: Bag,
    private unitState: Bag,
    /** The certificates relation's bags: this unit's own and the provider's application bag. */
    private certificateBags: { readonly id: string; own: Bag; readonly provider: Bag } | undefined,
  ) {}

  static async read(tools: HookTools, unit: string, log: Logger): Promise<JujuState> {
    const [configRaw, isLeader, leaderRaw, address, clusterIds, consumerIds, unitState, certificateIds] = await Promise.all([
      tools.configGet(),
      tools.isLeader(),
      tools.leaderGet(),
      tools.unitGet("private-address"),
      tools.relationIds(ENDPOINTS.cluster),
      Promise.all(ENDPOINTS.consumers.map(async (endpoint) => (await tools.relationIds(endpoint)).map((id) => ({ endpoint, id })))),
      tools.stateGetAll(),
      tools.relationIds(ENDPOINTS.certificates),
    ]);
    const leader = parseLeaderData(leaderRaw);
    warnRejected(log, "leader settings", leader.rejected);
    // Committed with an earlier hook: the secret it names exists (see PENDING_CA_STATE_KEY).
    const committedPendingCa = parsePendingCa(unitState[PENDING_CA_STATE_KEY]);
    const clusterRelationId = clusterIds[0];
    const peers: Peer[] = [];
    let publishedPeerData: Bag = {};
    if (clusterRelationId) {
      const names = await tools.relationList(clusterRelationId);
      const [own = {}, ...bags] = await Promise.all([unit, ...names].map((name) => tools.relationGet(clusterRelationId, name)));
      publishedPeerData = own;
      names.forEach((name, i) => {
        const parsed = parsePeerUnitData(bags[i] ?? {});
        warnRejected(log, `cluster relation data of ${name}`, parsed.rejected);
        peers.push({ unit: name, memberName: memberNameOf(name), ...parsed.data });
      });
      peers.sort((a, b) => Number(a.unit.split("/")[1]) - Number(b.unit.split("/")[1]));
    }
    const relations = consumerIds.flat();
    const consumerBags = await Promise.all(relations.map(({ id }) => tools.relationGet(id, unit)));
    const consumers: Record<string, { endpoint: ConsumerEndpoint; bag: Bag }> = {};
    relations.forEach(({ endpoint, id }, i) => {
      consumers[id] = { endpoint, bag: consumerBags[i] ?? {} };
    });
    const certificatesId = certificateIds[0];
    const certificateBags = certificatesId ? await readCertificateBags(tools, certificatesId, unit, log) : undefined;
    const appName = unit.split("/")[0] ?? unit;
    const s3 = (await readS3Relation(tools, isLeader, appName, log))?.view;
    const facts: JujuFacts = {
      unit,
      appName,
      address,
      isLeader,
      config: parseCharmConfig(configRaw),
      leaderData: withPendingCa(leader.data, unitState),
      caToRecord: committedPendingCa && committedPendingCa.id !== leader.data.caSecretId ? committedPendingCa : undefined,
      clientSecretsToRecord: parsePendingClientSecrets(unitState[PENDING_CLIENT_SECRETS_STATE_KEY]),
      clusterRelationId,
      peers,
      publishedPeerData,
      ...fromUnitState(unitState),
      consumers,
      committedClientIssuers: issuersIn(unitState),
      certificates: certificatesView(certificateBags, unitState),
      s3,
    };
    return new JujuState(tools, facts, leaderRaw, unitState, certificateBags);
  }

  /** One key of this unit's state as this hook has it (including its own writes). */
  unitStateValue(key: string): string | undefined {
    return this.unitState[key];
  }

  get facts(): JujuFacts {
    return this.current;
  }

  /** leader-set: applies at once and survives a failed hook (contract §3.8). */
  async leaderSet(values: Bag): Promise<void> {
    await this.tools.leaderSet(values);
    this.leaderBag = merged(this.leaderBag, values);
    const leaderData = parseLeaderData(this.leaderBag).data;
    const recorded = this.current.caToRecord?.id === leaderData.caSecretId;
    const clientSecretsToRecord = Object.fromEntries(
      Object.entries(this.current.clientSecretsToRecord).filter(([number, id]) => leaderData.clientSecrets[number] !== id),
    );
    this.current = {
      ...this.current,
      leaderData: withPendingCa(leaderData, this.unitState),
      clientSecretsToRecord,
      ...(recorded ? { caToRecord: undefined } : {}),
    };
  }

  /** state-set: this unit's own state, committed with the hook (contract §3.18). */
  async stateSet(values: Bag): Promise<void> {
    await this.tools.stateSet(values);
    this.unitState = merged(this.unitState, values);
    // Only secrets committed by an earlier hook are to record, and only while still pending: once the record is
    // cleared (record-client-secrets), nothing is left to record, even for a relation that ended meanwhile.
    const pending = parsePendingClientSecrets(this.unitState[PENDING_CLIENT_SECRETS_STATE_KEY]);
    const clientSecretsToRecord = Object.fromEntries(Object.entries(this.current.clientSecretsToRecord).filter(([number, id]) => pending[number] === id));
    this.current = {
      ...this.current,
      ...fromUnitState(this.unitState),
      leaderData: withPendingCa(parseLeaderData(this.leaderBag).data, this.unitState),
      clientSecretsToRecord,
      certificates: certificatesView(this.certificateBags, this.unitState),
    };
  }

  /** relation-set of this unit's own bag in the peer relation or a consumer relation. */
  async relationSet(relationId: string, values: Bag, options: { app?: boolean } = {}): Promise<void> {
    await this.tools.relationSet(relationId, values, options);
    const s3 = this.current.s3;
    if (options.app && s3?.id === relationId && values[S3_BUCKET_KEY] !== undefined) {
      this.current = { ...this.current, s3: { ...s3, askedBucket: values[S3_BUCKET_KEY] || undefined } };
    }
    if (options.app) return;
    if (this.certificateBags?.id === relationId) {
      this.certificateBags.own = merged(this.certificateBags.own, values);
      this.current = { ...this.current, certificates: certificatesView(this.certificateBags, this.unitState) };
    }
    if (relationId === this.current.clusterRelationId) {
      this.current = { ...this.current, publishedPeerData: merged(this.current.publishedPeerData, values) };
    }
    const consumer = this.current.consumers[relationId];
    if (consumer) {
      this.current = { ...this.current, consumers: { ...this.current.consumers, [relationId]: { ...consumer, bag: merged(consumer.bag, values) } } };
    }
  }
}

/**
 * The leader's own view includes a CA and client secrets it created but has not published yet: it issues,
 * bootstraps and publishes with them.
 */
function withPendingCa(data: LeaderData, state: Bag): LeaderData {
  const pending = parsePendingCa(state[PENDING_CA_STATE_KEY]);
  // Pending values are newer than leader data's (an identity issued again): the leader acts on them.
  const clientSecrets = { ...data.clientSecrets, ...parsePendingClientSecrets(state[PENDING_CLIENT_SECRETS_STATE_KEY]) };
  const withClients = { ...data, clientSecrets };
  return pending && !data.caSecretId ? { ...withClients, caSecretId: pending.id, caBundle: pending.bundle, ownCa: pending.bundle } : withClients;
}

/** This unit's bag and the provider's application bag (none before the provider's application is known). */
async function readCertificateBags(tools: HookTools, id: string, unit: string, log: Logger): Promise<{ id: string; own: Bag; provider: Bag }> {
  const [own, remoteApp] = await Promise.all([tools.relationGet(id, unit), tools.relationRemoteApp(id).catch(() => "")]);
  const provider = remoteApp ? await tools.relationGet(id, remoteApp, { app: true }) : {};
  const { problem } = parseProvided(provider[CERTIFICATES_KEYS.certificates]);
  if (problem) log.warn({ relation: id, key: CERTIFICATES_KEYS.certificates, reason: problem }, "ignoring malformed data");
  return { id, own, provider };
}

function certificatesView(bags: { id: string; own: Bag; provider: Bag } | undefined, state: Bag): CertificatesRelation | undefined {
  if (!bags) return undefined;
  const [csr] = parseRequests(bags.own[CERTIFICATES_KEYS.requests]);
  return {
    relationId: bags.id,
    memberRequest: csr ? { csr, wants: state[MEMBER_REQUEST_STATE_KEY] ?? "" } : undefined,
    clientRequests: parseClientRequests(state[CLIENT_REQUESTS_STATE_KEY]),
    provided: parseProvided(bags.provider[CERTIFICATES_KEYS.certificates]).provided,
  };
}

function issuersIn(state: Bag): string[] {
  const value = clientIssuersValue(parsePublishedCredentials(state[PUBLISHED_CREDENTIALS_STATE_KEY]));
  return value === "none" ? [] : value.split(",");
}

function fromUnitState(state: Bag): Pick<JujuFacts, "departedUnits" | "leftCluster" | "unclaimedLearners" | "publishedCredentials"> {
  return {
    publishedCredentials: parsePublishedCredentials(state[PUBLISHED_CREDENTIALS_STATE_KEY]),
    departedUnits: parseDepartedUnits(state[DEPARTED_STATE_KEY]),
    leftCluster: state[LEFT_STATE_KEY] === "true",
    unclaimedLearners: parseUnclaimedLearners(state[UNCLAIMED_STATE_KEY]),
  };
}
