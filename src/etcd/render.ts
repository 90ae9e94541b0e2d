import { readFile } from "node:fs/promises";
import { isIPv4, isIPv6 } from "node:net";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { EtcdSettings } from "../charm/config.js";
import type { EtcdPaths } from "./paths.js";

/**
 * Rendering etcd's config file and our systemd unit: pure text in, text out. The files are written
 * elsewhere; the templates are read by `loadTemplate` from the charm directory.
 */

/** The etcd binary the Debian/Ubuntu etcd-server package installs. */
export const ETCD_BINARY = "/usr/bin/etcd";

export type TemplateName = "etcd.conf.yml" | "etcd.service";

/** A template shipped in the charm: `<charmDir>/templates/<name>`. */
export async function loadTemplate(charmDir: string, name: TemplateName): Promise<string> {
  return readFile(path.join(charmDir, "templates", name), "utf8");
}

/** Who this member is in its cluster: decided by the charm once and persisted, never re-derived. */
export interface MemberIdentity {
  /** etcd member name, e.g. "etcd0". */
  readonly name: string;
  /** The unit's own IP address; etcd listens on it only. */
  readonly address: string;
  /** `name=http://ip:peer-port,…` as etcd's initial-cluster. */
  readonly initialCluster: string;
  readonly initialClusterState: "new" | "existing";
  readonly clusterToken: string;
}

export interface EtcdConfigInput {
  readonly settings: EtcdSettings;
  readonly member: MemberIdentity;
  readonly paths: Pick<EtcdPaths, "dataDir">;
}

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
  const host = urlHost(checked("member address", member.address, isListenAddress));
  const clientUrl = `http://${host}:${settings.clientPort}`;
  const peerUrl = `http://${host}:${settings.peerPort}`;
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
    "enable-v2": settings.enableV2,
    "log-level": settings.logLevel,
    logger: "zap",
    "log-outputs": ["stderr"],
    "strict-reconfig-check": true,
    "max-snapshots": 5,
    "max-wals": 5,
  };
  return fillTemplate(template, { body: stringifyYaml(config).trimEnd() });
}

export interface ServiceUnitInput {
  readonly memberName: string;
  readonly paths: Pick<EtcdPaths, "configFile" | "dataDir">;
  /** Absolute path of the etcd binary; ETCD_BINARY unless told. */
  readonly etcdBinary?: string;
}

/** The text of our etcd.service from its template; every substituted value is checked safe for systemd. */
export function renderServiceUnit(input: ServiceUnitInput, template: string): string {
  return fillTemplate(template, {
    name: checked("member name", input.memberName, isMemberName),
    etcdBinary: safePath("etcd binary", input.etcdBinary ?? ETCD_BINARY),
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

/** A unicast IP address to listen on: never the unspecified address (0.0.0.0, ::), never a host name or zone. */
function isListenAddress(address: string): boolean {
  if (/^[0-9.]+$/.test(address)) return isIPv4(address) && address !== "0.0.0.0";
  return /^[0-9A-Fa-f:.]+$/.test(address) && isIPv6(address) && !/^[0:]+$/.test(address);
}

function urlHost(address: string): string {
  return isIPv6(address) ? `[${address}]` : address;
}

/** `name=http://ip:port` entries, comma-separated, with names and addresses in their strict forms. */
function isInitialCluster(text: string): boolean {
  return text.split(",").every((entry) => {
    const match = /^([^=]+)=http:\/\/(?:([0-9.]+)|\[([0-9A-Fa-f:.]+)\]):([1-9][0-9]{0,4})$/.exec(entry);
    if (!match) return false;
    const [, name = "", ipv4, ipv6, port = ""] = match;
    const addressOk = ipv4 !== undefined ? isListenAddress(ipv4) : ipv6 !== undefined && isIPv6(ipv6) && isListenAddress(ipv6);
    return isMemberName(name) && addressOk && Number(port) <= 65535;
  });
}
