import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { parseDurationMs } from "../local-model/duration.js";
import { memberUrl, type Scheme, schemeOf, underBothSchemes } from "../src/domain/address.js";
import { etcdctlCluster } from "../src/etcd/cluster.js";
import { type ClientTls, firstErrorLine, type Member, tlsFlags } from "../src/etcd/etcdctl.js";

/** What the soak knows of an etcd unit from `status`. */
export interface SoakUnit {
  readonly name: string;
  readonly address: string;
}

/** The unit's client URL under TLS (the charm's default); a member moving between schemes is asked under both. */
export const clientUrl = (unit: SoakUnit): string => memberUrl(unit.address, 2379, "https");
/** The charm names each unit's member after it: etcd/3 → etcd3. */
export const memberName = (unit: string): string => unit.replace("/", "");

/** How the soak reaches the cluster: the client credentials (client-credentials action) and the scheme `tls` now asks for. */
export interface Access {
  readonly credentials: ClientTls;
  readonly scheme: Scheme;
}

/** The cluster as its members see it: the member list, the raft leader's unit and who is unhealthy. */
export interface ClusterView {
  readonly members: Member[];
  readonly raftLeader: string | undefined;
  /** Units whose endpoint is not healthy, with etcd's reason. */
  readonly unhealthy: ReadonlyArray<{ unit: string; error: string }>;
  /** Each unit's client URL as its member advertises it (its current scheme), https before the member started. */
  readonly urls: ReadonlyMap<string, string>;
}

/**
 * The cluster through the units' client endpoints, with the client credentials for https ones: the member
 * list from either scheme (https first, as the charm asks during a switch), then health and status of each
 * unit under the scheme its member advertises (asking the wrong scheme costs a whole dial timeout).
 */
export async function clusterView(units: readonly SoakUnit[], tls: ClientTls): Promise<ClusterView> {
  const cluster = etcdctlCluster(tls, "etcdctl");
  const members = await cluster.members(underBothSchemes(units.map(clientUrl)), "report");
  const urls = new Map(
    units.map((unit) => {
      const advertised = members.find((m) => m.name === memberName(unit.name))?.clientUrls[0];
      return [unit.name, advertised ?? clientUrl(unit)] as const;
    }),
  );
  const [health, statuses] = await Promise.all([cluster.healths([...urls.values()], "report"), cluster.statuses([...urls.values()], "report")]);
  const unhealthy = units
    .map((unit) => ({ unit: unit.name, report: health.find((h) => h.endpoint === urls.get(unit.name)) }))
    .filter(({ report }) => !report?.health)
    .map(({ unit, report }) => ({ unit, error: report?.error ?? "no answer" }));
  const leaderId = statuses.find((s) => s.Status.leader === s.Status.header.member_id)?.Status.leader;
  const leaderName = members.find((m) => m.id === leaderId)?.name;
  const raftLeader = units.find((unit) => memberName(unit.name) === leaderName)?.name;
  return { members, raftLeader, unhealthy, urls };
}

/** Members whose peer or client URLs are not all under `scheme`: a TLS switch that has not finished. */
export function membersNotUnder(members: readonly Member[], scheme: Scheme): string[] {
  return members
    .filter((m) => [...m.peerUrls, ...m.clientUrls].some((url) => schemeOf(url) !== scheme))
    .map((m) => `${m.name || m.id} (peer ${m.peerUrls.join(",") || "none"}, client ${m.clientUrls.join(",") || "none"})`);
}

/** Every key under the prefix with its value, read through one member (linearizable); https with the client credentials. */
export async function readPrefix(endpoint: string, prefix: string, tls: ClientTls): Promise<Map<string, string>> {
  const flags = schemeOf(endpoint) === "https" ? tlsFlags(tls) : [];
  const result = await execa("etcdctl", [`--endpoints=${endpoint}`, "--dial-timeout=2s", "--command-timeout=20s", ...flags, "get", "--prefix", prefix], {
    env: { ETCDCTL_API: "3" },
    reject: false,
    timeout: 30_000,
  });
  if (result.exitCode !== 0) throw new Error(`reading ${prefix}* through ${endpoint} failed: ${firstErrorLine(String(result.stderr ?? ""))}`);
  const lines = String(result.stdout).split("\n");
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < lines.length; i += 2) values.set(lines[i]!, lines[i + 1]!);
  return values;
}

/** The unit's machine root in the model (units/<app>-<n>/root). */
export const unitRoot = (modelDir: string, unit: string): string => path.join(modelDir, "units", unit.replace("/", "-"), "root");

/** The inode of the unit's etcd `member/` dir: a new one means the data dir was recreated. */
export async function memberDirInode(modelDir: string, unit: string): Promise<number | undefined> {
  return stat(path.join(unitRoot(modelDir, unit), "var", "lib", "etcd", "member-data", "member")).then(
    (info) => info.ino,
    () => undefined,
  );
}

/** The pid of the unit's etcd, found by its config file on the command line. */
export async function etcdPid(modelDir: string, unit: string): Promise<number | undefined> {
  const config = path.join(unitRoot(modelDir, unit), "etc", "etcd", "etcd.conf.yml");
  const result = await execa("pgrep", ["-f", config], { reject: false });
  const pid = Number(String(result.stdout).split("\n")[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The settings the soak changes, as the unit's etcd last started with them. */
export interface RunningSettings {
  readonly "heartbeat-interval": number;
  readonly "election-timeout": number;
  readonly "snapshot-count": number;
}

/**
 * What the unit's etcd runs with, from the last "starting an etcd server" line etcd logged (the model keeps
 * each service's output in services/logs/<unit>/<service>.log); undefined before etcd ever started.
 */
export async function runningSettings(modelDir: string, unit: string): Promise<RunningSettings | undefined> {
  const file = path.join(modelDir, "services", "logs", unit.replace("/", "-"), "etcd.service.log");
  const text = await readFile(file, "utf8").catch(() => "");
  const line = text.split("\n").findLast((entry) => entry.includes('"msg":"starting an etcd server"'));
  if (!line) return undefined;
  const logged = JSON.parse(line.slice(line.indexOf("{"))) as Record<string, unknown>;
  return {
    "heartbeat-interval": parseDurationMs(String(logged["heartbeat-interval"])),
    "election-timeout": parseDurationMs(String(logged["election-timeout"])),
    "snapshot-count": Number(logged["snapshot-count"]),
  };
}
