import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import { isIPv6Address, isListenAddress, memberUrl, type Scheme } from "../domain/address.js";
import type { EtcdSettings } from "../domain/settings.js";
import type { EtcdPaths } from "./paths.js";

/**
 * Rendering etcd's config file and our systemd unit, and reading a rendered config back: pure text in, text
 * out. The files are written elsewhere; the templates are read from the charm directory by templates.ts.
 */

/** Who this member is in its cluster: decided by the charm once and persisted, never re-derived. */
export interface MemberIdentity {
  /** etcd member name, e.g. "etcd0". */
  readonly name: string;
  /** The unit's own IP address; etcd listens on it only. */
  readonly address: string;
  /** `name=https://ip:peer-port,…` as etcd's initial-cluster. */
  readonly initialCluster: string;
  readonly initialClusterState: "new" | "existing";
  readonly clusterToken: string;
}

/** The member's certificate, key and the CAs it trusts: with them etcd can serve and dial https. */
export interface TlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The DNS name a certificate must carry to be admitted at the peer port. */
  readonly peerHostname: string;
}

export interface EtcdConfigInput {
  readonly settings: EtcdSettings;
  readonly member: MemberIdentity;
  readonly paths: Pick<EtcdPaths, "dataDir">;
  /** The scheme of this member's peer and client URLs. */
  readonly scheme: Scheme;
  /** Present whenever the member has a certificate, even on http: it then dials https peers with it. */
  readonly tls: TlsFiles | undefined;
}

/**
 * TLS 1.2 suites etcd may negotiate: ECDHE with AES-GCM only, for ECDSA keys (the charm's CA) and RSA keys (a
 * provider's). Go does not let TLS 1.3 suites be configured; all of them are AEAD.
 */
export const CIPHER_SUITES = [
  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
] as const;

/** A value that must not reach a rendered file: the renderer refuses rather than escape it. */
export class UnsafeValueError extends Error {
  override readonly name = "UnsafeValueError";
}

/**
 * The text of etcd's `--config-file` (etcd 3.4 keys) for one member, from the etcd.conf.yml template
 * (a header comment and `{{body}}`). Throws UnsafeValueError for an identity or path outside its strict form.
 */
export function renderEtcdConfig(input: EtcdConfigInput, template: string): string {
  const { settings, member } = input;
  const name = checked("member name", member.name, isMemberName);
  const token = checked("cluster token", member.clusterToken, (token) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(token));
  const initialCluster = checked("initial-cluster", member.initialCluster, isInitialCluster);
  const dataDir = safePath("data dir", input.paths.dataDir);
  const address = checked("member address", member.address, isListenAddress);
  const clientUrl = memberUrl(address, settings.clientPort, input.scheme);
  const peerUrl = memberUrl(address, settings.peerPort, input.scheme);
  const tls = input.tls;
  const security = (files: TlsFiles) => ({
    "cert-file": safePath("certificate file", files.certFile),
    "key-file": safePath("key file", files.keyFile),
    "trusted-ca-file": safePath("CA file", files.caFile),
    // Clients and peers must present a certificate from a trusted CA (mutual TLS).
    "client-cert-auth": true,
  });
  const config = {
    name,
    "data-dir": dataDir,
    "listen-peer-urls": peerUrl,
    "listen-client-urls": clientUrl,
    "initial-advertise-peer-urls": peerUrl,
    "advertise-client-urls": clientUrl,
    "initial-cluster": initialCluster,
    "initial-cluster-state": member.initialClusterState === "existing" ? "existing" : "new",
    "initial-cluster-token": token,
    "heartbeat-interval": settings.heartbeatInterval,
    "election-timeout": settings.electionTimeout,
    "snapshot-count": settings.snapshotCount,
    "quota-backend-bytes": settings.quotaBackendBytes,
    "auto-compaction-mode": settings.autoCompactionMode,
    "auto-compaction-retention": settings.autoCompactionRetention,
    // The v2 API (the v2 proxy of `proxy` consumers needs it): etcd 3.5 still serves it but logs "Flag `enable-v2`
    // is deprecated and will get removed in etcd 3.6" (interfaces §8.3); both read the same key.
    "enable-v2": settings.enableV2,
    "log-level": settings.logLevel,
    // zap to stderr (journald keeps it) on both: 3.4's default logger capnslog is deprecated in 3.5, and 3.5
    // refuses `log-outputs: default` (interfaces §8.3).
    logger: "zap",
    "log-outputs": ["stderr"],
    "strict-reconfig-check": true,
    "max-snapshots": 5,
    "max-wals": 5,
    // etcd 3.4 started from a config file serves the v3 JSON gateway (/v3/...) only when asked; with flags it
    // is on. Patroni, APISIX and curl-based tools speak it. 3.5 serves /v3 alike (it dropped only /v3beta).
    "enable-grpc-gateway": true,
    ...(tls
      ? {
          "client-transport-security": security(tls),
          "peer-transport-security": security(tls),
          // Only certificates naming the peer host name may talk to the peer port (a db consumer's may not).
          // etcd 3.4 has no config-file key for --peer-cert-allowed-hostname: its parser matches this field of
          // its Config by name (test/etcd/tls-etcd.test.ts). The address check is skipped: proxies, which read
          // the member list there, connect from addresses no certificate names.
          PeerTLSInfo: { AllowedHostname: checked("peer host name", tls.peerHostname, isDnsName), SkipClientSANVerify: true },
          "cipher-suites": [...CIPHER_SUITES],
        }
      : {}),
  };
  return fillTemplate(template, { body: stringifyYaml(config).trimEnd() });
}

export interface ServiceUnitInput {
  readonly memberName: string;
  /** tools.etcd: the etcd the machine's package installed (/usr/bin/etcd on a real machine). */
  readonly paths: Pick<EtcdPaths, "configFile" | "dataDir" | "tools">;
}

/** The text of our etcd.service from its template; every substituted value is checked safe for systemd. */
export function renderServiceUnit(input: ServiceUnitInput, template: string): string {
  return fillTemplate(template, {
    name: checked("member name", input.memberName, isMemberName),
    etcdBinary: safePath("etcd binary", input.paths.tools.etcd),
    configFile: safePath("config file", input.paths.configFile),
    dataDir: safePath("data dir", input.paths.dataDir),
  });
}

/**
 * Whether a running member must restart to pick up `nextConfigText`. etcd reads its config only when it
 * starts, so any change matters, except to the `initial-*` keys: etcd reads those only when it starts on
 * an empty data dir, and a running member already has its data. No previous config (or one that does not
 * parse as a YAML mapping) means etcd has never run from a config we know: it needs a (re)start.
 */
export function restartNeeded(previousConfigText: string | undefined, nextConfigText: string): boolean {
  const next = settingsThatMatterOnRestart(nextConfigText);
  if (next === undefined) throw new Error("the next etcd config is not a YAML mapping");
  if (previousConfigText === undefined) return true;
  let previous: Record<string, unknown> | undefined;
  try {
    previous = settingsThatMatterOnRestart(previousConfigText);
  } catch {
    return true;
  }
  return previous === undefined || !isDeepStrictEqual(previous, next);
}

function settingsThatMatterOnRestart(text: string): Record<string, unknown> | undefined {
  const parsed: unknown = parseYaml(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  return Object.fromEntries(Object.entries(parsed).filter(([key]) => !key.startsWith("initial-")));
}

/**
 * `{{name}}` substitution in one pass (substituted text is never scanned again). A placeholder without a
 * value, or a value no placeholder uses, is a mismatch between template and code: an error.
 */
function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const used = new Set<string>();
  const text = template.replace(/\{\{([A-Za-z][A-Za-z0-9]*)\}\}/g, (_whole, key: string) => {
    const value = Object.hasOwn(values, key) ? values[key] : undefined;
    if (value === undefined) throw new Error(`template placeholder {{${key}}} has no value`);
    used.add(key);
    return value;
  });
  const unused = Object.keys(values).filter((key) => !used.has(key));
  if (unused.length > 0) throw new Error(`template has no placeholder for ${unused.map((key) => `{{${key}}}`).join(", ")}`);
  return text;
}

function checked(what: string, value: string, isSafe: (value: string) => boolean): string {
  if (typeof value !== "string" || !isSafe(value)) {
    throw new UnsafeValueError(`refusing to render ${what} ${JSON.stringify(String(value).slice(0, 80))}`);
  }
  return value;
}

/** Juju unit names without the slash: letters, digits, ".", "_", "-"; also safe in a systemd unit (no "%"). */
function isMemberName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name);
}

/**
 * A path systemd and YAML take literally: absolute, normalised, and only characters that no unit-file
 * syntax gives a meaning (no whitespace, quotes, "\", "$" variables, "%" specifiers or ";").
 */
function safePath(what: string, value: string): string {
  return checked(what, value, (p) => /^\/[A-Za-z0-9._+@/-]*$/.test(p) && p.length <= 4096 && path.posix.normalize(p) === p && (p === "/" || !p.endsWith("/")));
}

function isDnsName(name: string): boolean {
  return name.length <= 253 && name.split(".").every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label));
}

/** `name=http(s)://ip:port` entries, comma-separated, with names and addresses in their strict forms. */
function isInitialCluster(text: string): boolean {
  return text.split(",").every((entry) => {
    const match = /^([^=]+)=https?:\/\/(?:([0-9.]+)|\[([0-9A-Fa-f:.]+)\]):([1-9][0-9]{0,4})$/.exec(entry);
    if (!match) return false;
    const [, name = "", ipv4, ipv6, port = ""] = match;
    const addressOk = ipv4 !== undefined ? isListenAddress(ipv4) : ipv6 !== undefined && isIPv6Address(ipv6) && isListenAddress(ipv6);
    return isMemberName(name) && addressOk && Number(port) <= 65535;
  });
}

/** The parts of a rendered etcd config the charm reads back: who the member is and where it listens. */
const RenderedConfigFile = z.object({
  name: z.string().optional(),
  "advertise-client-urls": z.string().optional(),
  "initial-advertise-peer-urls": z.string().optional(),
  "initial-cluster": z.string().optional(),
  "initial-cluster-state": z.enum(["new", "existing"]).optional(),
  "peer-transport-security": z.object({ "trusted-ca-file": z.string().optional() }).optional(),
});

export interface RenderedConfig {
  readonly name: string | undefined;
  /** Client URLs the config advertises (comma-separated in etcd's format). */
  readonly clientUrls: readonly string[];
  readonly initialCluster: string | undefined;
  readonly initialClusterState: "new" | "existing" | undefined;
  readonly clientPort: number | undefined;
  readonly peerPort: number | undefined;
  /** The CA file the member trusts for peers; undefined without TLS. */
  readonly trustedCaFile: string | undefined;
}

const NOTHING_RENDERED: RenderedConfig = {
  name: undefined,
  clientUrls: [],
  initialCluster: undefined,
  initialClusterState: undefined,
  clientPort: undefined,
  peerPort: undefined,
  trustedCaFile: undefined,
};

/**
 * Reads back a config this charm rendered (or anything else found at its path): each key that is missing
 * or malformed reads as unknown, never as an error, so a damaged file is simply rendered again.
 */
export function parseRenderedConfig(text: string | undefined): RenderedConfig {
  if (text === undefined) return NOTHING_RENDERED;
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch {
    return NOTHING_RENDERED;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return NOTHING_RENDERED;
  const fields = Object.fromEntries(
    Object.entries(RenderedConfigFile.shape).map(([key, schema]) => [key, schema.safeParse((raw as Record<string, unknown>)[key]).data]),
  ) as z.infer<typeof RenderedConfigFile>;
  const clientUrls = (fields["advertise-client-urls"] ?? "")
    .split(",")
    .map((url) => url.trim())
    .filter(Boolean);
  return {
    name: fields.name,
    clientUrls,
    initialCluster: fields["initial-cluster"],
    initialClusterState: fields["initial-cluster-state"],
    clientPort: urlPort(clientUrls[0]),
    peerPort: urlPort(fields["initial-advertise-peer-urls"]),
    trustedCaFile: fields["peer-transport-security"]?.["trusted-ca-file"],
  };
}

function urlPort(url: string | undefined): number | undefined {
  const match = url === undefined ? null : /:(\d+)$/.exec(url);
  return match ? Number(match[1]) : undefined;
}
