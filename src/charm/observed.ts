import type { S3RelationView } from "./s3-data.js";
import type { Member } from "../domain/member.js";
import type { CertificateFacts } from "../tls/inspect.js";
import type { ConsumerEndpoint } from "../names.js";
import type { LeaderData } from "./cluster-data.js";
import type { ConfigResult } from "./config.js";

/** Another unit of this application, as the cluster peer relation shows it. */
export interface Peer {
  readonly unit: string;
  readonly memberName: string;
  readonly address: string | undefined;
  readonly peerUrl: string | undefined;
  readonly clientUrl: string | undefined;
  readonly started: boolean;
  /** Fingerprints of the CAs its running member trusts: it can dial https peers with certificates from them. */
  readonly trustedCas: readonly string[];
  /** Fingerprint of the CA that issued its member certificate; undefined when it has not said. */
  readonly certIssuer: string | undefined;
  /** CAs of the client identities it has published to consumers, as committed; undefined when it has not said. */
  readonly clientIssuers: readonly string[] | undefined;
}

/** One entry of a tls-certificates provider's `certificates` list (interfaces §1.1), validated. */
export interface ProviderCertificate {
  readonly ca: string;
  readonly csr: string;
  readonly certificate: string;
  readonly revoked: boolean;
}

/** The `certificates` relation (tls-certificates v4, this charm the requirer) as Juju shows it to this unit. */
export interface CertificatesRelation {
  readonly relationId: string;
  /** The request in this unit's own bag for its member certificate, and what it asked for (unit state). */
  readonly memberRequest: { readonly csr: string; readonly wants: string } | undefined;
  /** Leader: consumer relation number → the request it published in the application bag for that identity. */
  readonly clientRequests: Readonly<Record<string, string>>;
  /** The provider's answers. */
  readonly provided: readonly ProviderCertificate[];
}

/** A provider's certificate for one of this unit's requests, read. */
export interface ProvidedCertificate {
  readonly certificatePem: string;
  readonly caPem: string;
  readonly caFingerprint: string;
  readonly facts: CertificateFacts;
}

/** What the cluster says about itself, asked of whichever members answer. */
export interface ClusterView {
  readonly members: readonly Member[];
  /** The raft leader's member id, when the members that answered agree on one. */
  readonly raftLeaderId: string | undefined;
  /** Client URLs of members that answered a status request. */
  readonly answering: readonly string[];
  readonly version: string | undefined;
  /** Alarms the members that answered report (NOSPACE, CORRUPT), each once. */
  readonly alarms: readonly string[];
  /** Database size in bytes of each member that answered, by client URL. */
  readonly dbSizes: Readonly<Record<string, number>>;
  /** The etcd version each member that answered runs ("3.4.23"), by client URL. */
  readonly versions: Readonly<Record<string, string>>;
}

/** The etcd config currently rendered on this unit, as far as the charm reads it back. */
export interface RenderedState {
  readonly configText: string | undefined;
  readonly unitText: string | undefined;
  readonly initialCluster: string | undefined;
  readonly initialClusterState: "new" | "existing" | undefined;
  readonly clientPort: number | undefined;
  readonly peerPort: number | undefined;
  /** What the running etcd was (re)started with, when the charm recorded it. */
  readonly running: { readonly configText: string; readonly unitText: string } | undefined;
  /** The client URL etcd serves now: from what it was started with, else from the files. */
  readonly servingClientUrl: string | undefined;
}

/** This unit's TLS files as decisions need them: facts, never key material. */
export interface TlsFilesView {
  /** Fingerprints (16 hex digits) of the leader's CA bundle, the current CA first; [] before there is one. */
  readonly caFingerprints: readonly string[];
  /** Fingerprint of the charm's own CA (leader data), when there is one. */
  readonly ownCaFingerprint: string | undefined;
  /** When the charm's own CA certificate expires (ms since the epoch). */
  readonly ownCaExpiresMs: number | undefined;
  /** The provider's certificate for this member's request, when the certificates relation gave one (not revoked). */
  readonly providedMember: ProvidedCertificate | undefined;
  /** Leader: consumer relation number → the provider's certificate for that identity's request. */
  readonly providedClients: Readonly<Record<string, ProvidedCertificate>>;
  /** The member certificate on disk, read; undefined when missing or unreadable. */
  readonly certificate: CertificateFacts | undefined;
  /** The certificate's public key belongs to the key file beside it. */
  readonly keyMatches: boolean;
  /** Fingerprint of the bundle CA that issued the certificate; undefined when none did. */
  readonly issuer: string | undefined;
  /** The leader's bundle is on disk, in the stable CA file and in the file named after its fingerprint. */
  readonly bundleWritten: boolean;
  /** Fingerprints of the CAs in the file the running etcd was started with ([] for a member without TLS). */
  readonly runningTrust: readonly string[];
  /** The operators' etcdctl environment file as it is. */
  readonly etcdctlEnv: string | undefined;
}

/** What the event asks of this hook, read from the event alone (see hookIntent). */
export interface HookIntent {
  /** This unit is leaving the application: its own cluster-relation-departed, or stop/remove. */
  readonly departing: boolean;
  /** A peer unit that left (its cluster-relation-departed on this unit): its member must go. */
  readonly departedPeer: string | undefined;
  /** Whether this hook may install etcd (update-status only reports). */
  readonly mayInstall: boolean;
  /** Data storage was attached: a unit that left the cluster when its data storage went joins again. */
  readonly dataAttached: boolean;
  /**
   * A relation-broken hook, or a relation-departed hook in which this unit is the one departing: Juju runs them
   * on a unit that is being removed, while the relations live on for the others, so nothing shared (a consumer's
   * client identity) is dropped in one.
   */
  readonly relationBroken: boolean;
  /** pre-series-upgrade: the machine is about to be upgraded to this base; this member stops for it (etcd-version.ts). */
  readonly machineUpgradeTo: string | undefined;
}

/** What Juju tells this hook, parsed and validated (JujuState reads it and keeps it current through its writes). */
export interface JujuFacts {
  readonly unit: string;
  readonly address: string;
  readonly isLeader: boolean;
  readonly config: ConfigResult;
  readonly leaderData: LeaderData;
  /** The peer relation's id; undefined before Juju created it. */
  readonly clusterRelationId: string | undefined;
  /** Other units in the cluster relation, by unit number. */
  readonly peers: readonly Peer[];
  /** What this unit last published in its own peer bag. */
  readonly publishedPeerData: Readonly<Record<string, string>>;
  /** Units this unit saw leave (kept in unit state): their members must go. */
  readonly departedUnits: readonly string[];
  /** This unit left the cluster in an earlier hook (kept in unit state): from then on it only winds down. */
  readonly leftCluster: boolean;
  /** Learners no unit claims (member id → when this leader first saw them, ms), kept in unit state. */
  readonly unclaimedLearners: Readonly<Record<string, number>>;
  /** Relation id → this unit's own bag, for the db and proxy relations. */
  readonly consumers: Readonly<Record<string, { readonly endpoint: ConsumerEndpoint; readonly bag: Readonly<Record<string, string>> }>>;
  /** Consumer relation id → the client identity (leader-data value) this unit last published in it (kept in unit state). */
  readonly publishedCredentials: Readonly<Record<string, string>>;
  /** CAs of the client identities this unit had published when the hook began (committed, so consumers may have them). */
  readonly committedClientIssuers: readonly string[];
  /** A CA this leader created in an earlier hook, whose secret now exists: to be published in leader data. */
  readonly caToRecord: { readonly id: string; readonly bundle: string } | undefined;
  /** Client-credential secrets this leader created in earlier hooks (committed): to be put in leader data. */
  readonly clientSecretsToRecord: Readonly<Record<string, string>>;
  /** This application's name: the organisation of its certificates. */
  readonly appName: string;
  /** The certificates relation, when there is one. */
  readonly certificates: CertificatesRelation | undefined;
  /** The s3-credentials relation (snapshot copies), when there is one; no credentials in it. */
  readonly s3: S3RelationView | undefined;
}

/** Everything the decisions need: Juju's facts plus the machine and the cluster, gathered fresh at each step of a hook. */
export interface Observed extends JujuFacts {
  readonly memberName: string;
  readonly hook: HookIntent;
  /** How many times this hook already looked again at a cluster that named no raft leader. */
  readonly electionWaits: number;
  readonly installed: boolean;
  readonly etcdVersion: string | undefined;
  /** The etcd this unit runs (its member's status) or, when it runs none, the one installed: "3.5.16". */
  readonly localEtcdVersion: string | undefined;
  readonly rendered: RenderedState;
  readonly serviceActive: boolean;
  /** Times systemd restarted etcd by itself (after a crash or a kill) since the charm last started it. */
  readonly serviceRestarts: number;
  /** The data dir holds a member (etcd's member/ directory): this unit has been part of the cluster. */
  readonly hasMemberData: boolean;
  /** When this observation was made (ms since the epoch): decisions stay pure. */
  readonly now: number;
  /** undefined when no member answered. */
  readonly cluster: ClusterView | undefined;
  readonly tls: TlsFilesView;
  /** The machine's host name: a DNS name in the member certificate. */
  readonly hostname: string;
}
