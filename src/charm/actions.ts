/**
 * What the shell can be asked to do, one step at a time. Each action carries everything it needs (which
 * endpoints to ask, which member takes over raft leadership): the shell only executes it.
 */

/** Members that answer, where a change is asked; the first that answers does it. */
type Endpoints = readonly string[];

export interface RestartPlan {
  /** This member's client URL as it serves now: where leadership is handed over. */
  readonly selfUrl: string;
  /** Where it is checked healthy after the restart (its new scheme, when that changes). */
  readonly restartedUrl: string;
  /** Other members that answer, which hold the restart lock; none when this is the only member. */
  readonly lockEndpoints: Endpoints;
  /** When this member leads raft: the voter that takes over before the restart. */
  readonly handOverTo: string | undefined;
  /**
   * A scheme change (http ⇄ https): the cluster is told this member's new peer URL just before it restarts
   * into it, asked of the other members that answer.
   */
  readonly peerUrlUpdate?: { readonly memberId: string; readonly peerUrl: string; readonly endpoints: Endpoints };
}

export interface CertificateSubject {
  readonly commonName?: string;
  readonly organization?: string;
}

export interface SubjectNames {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

export type StartWait =
  /** A bootstrapping or rejoining voter: until its client URL answers healthy. */
  | { readonly kind: "healthy"; readonly url: string }
  /** A joining learner is not healthy until promoted: until the voters list it by name. */
  | { readonly kind: "listed"; readonly url: string; readonly memberName: string; readonly endpoints: Endpoints };

export type Action =
  | { readonly kind: "record-departed"; readonly units: readonly string[] }
  | { readonly kind: "install" }
  | { readonly kind: "claim-bootstrap"; readonly memberName: string; readonly existingToken: string | undefined }
  | { readonly kind: "write-files"; readonly configText: string; readonly unitText: string; readonly restart: RestartPlan | undefined }
  | {
      readonly kind: "start";
      readonly wait: StartWait;
      /** The files this observation read: what etcd starts with, recorded once it runs. */
      readonly running: { readonly configText: string; readonly unitText: string } | undefined;
    }
  | { readonly kind: "stop" }
  /** This unit left the cluster when its data storage went; storage is attached again, and it joins afresh. */
  | { readonly kind: "rejoin" }
  /** Leader data still names a restore, but no restore action runs (actions and hooks take turns): it was cut short. */
  | { readonly kind: "end-restore"; readonly snapshot: string }
  /** This unit's data belongs to a member the cluster no longer has: stop etcd, move the data dir aside (never delete it). */
  | { readonly kind: "set-aside-member-data"; readonly memberName: string }
  | {
      readonly kind: "publish-peer";
      readonly relationId: string;
      readonly values: Readonly<Record<string, string>>;
      /** The etcd version this member now runs, when it changed: Juju's application version too. */
      readonly applicationVersion?: string;
    }
  | {
      readonly kind: "add-learner";
      readonly memberName: string;
      readonly peerUrl: string;
      readonly endpoints: Endpoints;
      /** The first member of a newer etcd minor version (etcd-version.ts): a verified snapshot from this voter first. */
      readonly snapshotFrom?: string;
    }
  /** pre-series-upgrade (machine-upgrade.ts): leadership handed over, a verified snapshot taken, etcd stopped and disabled. */
  | {
      readonly kind: "pause-for-machine-upgrade";
      readonly target: string;
      readonly snapshotUrl: string;
      readonly memberName: string;
      readonly handOver: { readonly toMemberId: string; readonly endpoints: Endpoints } | undefined;
    }
  /** What the hook was asked cannot be done safely: it fails with the reason (Juju shows the unit in error). */
  | { readonly kind: "refuse"; readonly reason: string }
  | { readonly kind: "note-unclaimed-learners"; readonly since: Readonly<Record<string, number>> }
  | { readonly kind: "promote"; readonly memberId: string; readonly memberName: string; readonly endpoints: Endpoints }
  | { readonly kind: "move-leader"; readonly toMemberId: string; readonly endpoints: Endpoints; readonly reason: string }
  | {
      readonly kind: "remove-member";
      readonly memberId: string;
      readonly memberName: string;
      readonly endpoints: Endpoints;
      /** This unit's client URL: asked too for the cluster's lock and its view of the cluster. */
      readonly selfUrl: string;
      /** This unit's own member: once removed, the unit records that it left and stops etcd. */
      readonly self: boolean;
    }
  | { readonly kind: "record-members"; readonly members: string; readonly clientUrls: readonly string[]; readonly dropGrants: readonly string[] }
  | {
      readonly kind: "publish-consumers";
      readonly bags: Readonly<Record<string, Readonly<Record<string, string>>>>;
      /** Relation id → the secret whose client certificate and key go into its bag too (read by the shell). */
      readonly credentials: Readonly<Record<string, string>>;
    }
  /** The Juju leader creates the cluster CA once: its key in an application secret, its certificate in leader data. */
  | { readonly kind: "create-ca"; readonly appName: string; readonly validityMs: number }
  /** The leader publishes a CA it created in an earlier (so committed) hook: its secret in leader data. */
  | { readonly kind: "record-ca"; readonly secretId: string; readonly bundle: string }
  /** The leader changes the trust bundle in leader data: the target CA first, then every CA still in use. */
  | { readonly kind: "publish-trust"; readonly bundle: string }
  /** The CA certificates this member trusts, from leader data onto the machine. */
  | { readonly kind: "write-trust"; readonly bundle: string; readonly fingerprints: readonly string[] }
  /** This unit signs a certificate for its own key (made here, if it has none) with the CA from the secret. */
  | {
      readonly kind: "issue-member-certificate";
      readonly caSecretId: string;
      /** Fingerprint the CA in the secret must have: the leader's trust bundle names it first. */
      readonly expectedCa: string;
      readonly subject: CertificateSubject;
      readonly sans: SubjectNames;
      readonly validityMs: number;
      readonly reason: string;
    }
  /** This unit asks the certificates provider for its member certificate: a request from its key in its bag. */
  | {
      readonly kind: "request-member-certificate";
      readonly relationId: string;
      readonly subject: CertificateSubject;
      readonly sans: SubjectNames;
      /** What the request asks for, kept beside it. */
      readonly wants: string;
    }
  /** The provider's certificate for this member's request becomes its certificate (the key stays). */
  | { readonly kind: "install-member-certificate"; readonly certificatePem: string; readonly reason: string }
  /** The leader makes one client identity for a consumer relation, named after the consuming application. */
  | { readonly kind: "issue-client-credentials"; readonly relationId: string; readonly caSecretId: string; readonly validityMs: number }
  /** The leader issues a consumer's client certificate again from the charm's own CA (the target): a new revision of its secret. */
  | {
      readonly kind: "reissue-client-credentials";
      readonly relationNumber: string;
      readonly secretId: string;
      readonly caSecretId: string;
      readonly expectedCa: string;
      readonly validityMs: number;
    }
  /** The leader asks the certificates provider for these consumers' client certificates (application bag). */
  | {
      readonly kind: "request-client-certificates";
      readonly relationId: string;
      /** Consumer relation id → the secret of the identity to request a certificate for (its key stays). */
      readonly identities: Readonly<Record<string, string>>;
    }
  /** The provider's certificate for a consumer's request goes into its identity's secret. */
  | {
      readonly kind: "install-client-certificate";
      readonly relationNumber: string;
      readonly secretId: string;
      readonly certificatePem: string;
      readonly issuer: string;
    }
  /** The leader puts client-credential secrets made in earlier hooks into leader data (relation number → id). */
  | { readonly kind: "record-client-secrets"; readonly secrets: Readonly<Record<string, string>> }
  /** The leader drops the client identities of relations that are gone. */
  | { readonly kind: "drop-client-credentials"; readonly relationNumbers: readonly string[]; readonly secretIds: readonly string[] }
  /**
   * The leader's scheduled snapshot (snapshot-interval): taken from its own member, verified and kept, older
   * scheduled ones pruned to `retention`; recorded in leader data, or its failure (a hook never fails for it).
   */
  | {
      readonly kind: "take-scheduled-snapshot";
      readonly url: string;
      readonly memberName: string;
      readonly retention: number;
      /** Copy it to the s3-credentials relation's bucket too. */
      readonly upload: boolean;
    }
  /** The bucket this application asks the s3-credentials provider for, in its application databag. */
  | { readonly kind: "request-s3-bucket"; readonly relationId: string; readonly bucket: string }
  /** ETCDCTL_* for operators on this unit. */
  | { readonly kind: "write-etcdctl-env"; readonly text: string }
  /** Members answer but name no raft leader: usually mid-election (right after a restart); look again shortly. */
  | { readonly kind: "await-election"; readonly delayMs: number };

export type ActionKind = Action["kind"];

/** Every action kind, for tests that prove each one is exercised (the type checker keeps the list complete). */
export const ACTION_KINDS = [
  "record-departed",
  "install",
  "claim-bootstrap",
  "write-files",
  "start",
  "stop",
  "rejoin",
  "end-restore",
  "set-aside-member-data",
  "publish-peer",
  "add-learner",
  "note-unclaimed-learners",
  "promote",
  "move-leader",
  "remove-member",
  "record-members",
  "publish-consumers",
  "await-election",
  "create-ca",
  "record-ca",
  "write-trust",
  "publish-trust",
  "issue-member-certificate",
  "request-member-certificate",
  "install-member-certificate",
  "reissue-client-credentials",
  "request-client-certificates",
  "install-client-certificate",
  "issue-client-credentials",
  "record-client-secrets",
  "drop-client-credentials",
  "write-etcdctl-env",
  "take-scheduled-snapshot",
  "request-s3-bucket",
  "pause-for-machine-upgrade",
  "refuse",
] as const satisfies readonly ActionKind[];
type Missing = Exclude<ActionKind, (typeof ACTION_KINDS)[number]>;
/** A compile error here names an action kind missing from ACTION_KINDS. */
export const ACTION_KINDS_COMPLETE: Missing extends never ? true : Missing = true;

export type StatusKind = "maintenance" | "blocked" | "waiting" | "active";

export interface Status {
  readonly kind: StatusKind;
  readonly message: string;
}

export interface Decision {
  /** undefined: converged, nothing left to do in this hook. */
  readonly action: Action | undefined;
  /** What the unit's status says while the action runs, or once converged. */
  readonly status: Status;
  /** The action is a pause, not progress: the status is not set for it. */
  readonly quiet?: boolean;
}

export const decision = (action: Action | undefined, kind: StatusKind, message: string): Decision => ({ action, status: { kind, message } });
