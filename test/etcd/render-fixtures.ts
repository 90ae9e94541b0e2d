import path from "node:path";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { blockedMessage, type EtcdSettings, parseCharmConfig } from "../../src/charm/config.js";
import { etcdPaths } from "../../src/etcd/paths.js";
import type { Scheme } from "../../src/domain/address.js";
import { type EtcdConfigInput, type MemberIdentity, renderEtcdConfig, type TlsFiles } from "../../src/etcd/render.js";
import { loadTemplate } from "../../src/etcd/templates.js";

/** The charm's own templates and config.yaml defaults, and a one-member identity: what the renderer tests vary. */

export const charmDir = path.resolve(fileURLToPath(import.meta.url), "../../..");
export const configTemplate = await loadTemplate(charmDir, "etcd.conf.yml");
export const unitTemplate = await loadTemplate(charmDir, "etcd.service");

/** config.yaml's defaults, with a bare number of hours as retention (etcd needs it as a string). */
const configYaml = parseYaml(readFileSync(path.join(charmDir, "config.yaml"), "utf8")) as { options: Record<string, { default: unknown }> };
const fromDefaults = parseCharmConfig(Object.fromEntries(Object.entries(configYaml.options).map(([name, option]) => [name, option.default])));
if (!fromDefaults.ok) throw new Error(blockedMessage(fromDefaults.problems));
export const settings: EtcdSettings = { ...fromDefaults.settings, autoCompactionRetention: "1" };
export const member: MemberIdentity = {
  name: "etcd0",
  address: "10.1.2.3",
  initialCluster: "etcd0=http://10.1.2.3:2380",
  initialClusterState: "new",
  clusterToken: "Q7X2KD",
};
export const paths = etcdPaths("/");
/** A plaintext member without TLS files unless told: what most renderer tests vary around. */
export const input = (
  changes: { settings?: Partial<EtcdSettings>; member?: Partial<MemberIdentity>; scheme?: Scheme; tls?: TlsFiles } = {},
): EtcdConfigInput => ({
  settings: { ...settings, ...changes.settings },
  member: { ...member, ...changes.member },
  paths,
  scheme: changes.scheme ?? "http",
  tls: changes.tls,
});
export const render = (changes: Parameters<typeof input>[0] = {}) => renderEtcdConfig(input(changes), configTemplate);
