import { chmod, mkdir, readdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { type ActionRecord, type HookSpec, machineIdOf, type ModelState, type UnitState } from "./state.js";
import { HOOK_TOOL_NAMES } from "./tools/index.js";
import { parseBase, seriesOf } from "./base.js";

/**
 * What a hook process starts with (contract §1.3): its environment, and the unit's tools dir on its PATH
 * (the hook tools and the unit's systemctl).
 */

/** The Juju version the model reports to charms (JUJU_VERSION, status). */
export const SIMULATED_JUJU_VERSION = "3.6.4";

/** Where the controller listens and the hook-tool client it hands to units. */
export interface ControllerPaths {
  readonly socket: string;
  /** The hook-tool client (jujuc.c, built), executable, named `jujuc`. */
  readonly jujuc: string;
}

/** Marks a complete tools dir; named after the client, so a model created by an older controller gets its wrappers rewritten. */
const TOOLS_DIR_MARKER = ".complete-jujuc-c-packages";

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The unit's tools dir, written the first time a hook of the unit runs. */
async function unitToolsDir(unit: UnitState, paths: ControllerPaths): Promise<string> {
  const dir = path.join(unit.dir, "tools");
  const present = await readdir(dir).catch(() => [] as string[]);
  if (present.includes(TOOLS_DIR_MARKER)) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  // Like Juju's: every hook tool is a symlink to the one client, which reads the tool's name from argv[0].
  for (const tool of HOOK_TOOL_NAMES) await symlink(paths.jujuc, path.join(dir, tool));
  // The machine's service manager and package tools (packages.ts), served by the controller like the hook tools.
  for (const command of ["systemctl", "apt-get", "dpkg-query"]) {
    await writeFile(
      path.join(dir, command),
      `#!/bin/sh\nLOCAL_MODEL_SOCKET=${quote(paths.socket)} exec ${quote(paths.jujuc)} ${command} ${quote(unit.name)} "$@"\n`,
    );
    await chmod(path.join(dir, command), 0o755);
  }
  await writeFile(path.join(dir, TOOLS_DIR_MARKER), "");
  return dir;
}

/** The environments of the model's hook processes. */
export class HookEnvironment {
  constructor(
    private readonly state: ModelState,
    private readonly paths: ControllerPaths,
  ) {}

  /** A hook's or an action's environment: Juju's variables, the relation's for a relation hook, the action's for an action. */
  async forHook(unit: UnitState, contextId: string, hook: HookSpec | undefined, action: ActionRecord | undefined): Promise<Record<string, string>> {
    const { state, paths } = this;
    const charmDir = path.join(unit.dir, "charm");
    const env: Record<string, string> = {
      PATH: `${await unitToolsDir(unit, paths)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      CHARM_DIR: charmDir,
      JUJU_CHARM_DIR: charmDir,
      JUJU_CONTEXT_ID: contextId,
      JUJU_HOOK_NAME: hook?.name ?? "",
      JUJU_AGENT_SOCKET_ADDRESS: paths.socket,
      JUJU_AGENT_SOCKET_NETWORK: "unix",
      JUJU_UNIT_NAME: unit.name,
      JUJU_MODEL_UUID: state.uuid,
      JUJU_MODEL_NAME: state.name,
      JUJU_API_ADDRESSES: "127.0.0.1:17070",
      JUJU_SLA: "unsupported",
      JUJU_MACHINE_ID: machineIdOf(unit),
      JUJU_PRINCIPAL_UNIT: "",
      JUJU_AVAILABILITY_ZONE: "",
      JUJU_VERSION: SIMULATED_JUJU_VERSION,
      CLOUD_API_VERSION: "",
      JUJU_CHARM_HTTP_PROXY: "",
      JUJU_CHARM_HTTPS_PROXY: "",
      JUJU_CHARM_FTP_PROXY: "",
      JUJU_CHARM_NO_PROXY: "",
      APT_LISTCHANGES_FRONTEND: "none",
      DEBIAN_FRONTEND: "noninteractive",
      LANG: "C.UTF-8",
      TERM: "tmux-256color",
      // The simulated machine's filesystem root (see local-model/README.md).
      UNIT_FS_ROOT: path.join(unit.dir, "root"),
    };
    if (hook?.relationId !== undefined) {
      const relation = state.relations[String(hook.relationId)];
      const endpoint = relation?.endpoints.find((end) => end.app === unit.app)?.endpoint ?? hook.name.replace(/-relation-.*$/, "");
      env.JUJU_RELATION = endpoint;
      env.JUJU_RELATION_ID = `${endpoint}:${hook.relationId}`;
      env.JUJU_REMOTE_UNIT = hook.remoteUnit ?? "";
      env.JUJU_REMOTE_APP = hook.remoteApp ?? "";
      if (hook.departingUnit) env.JUJU_DEPARTING_UNIT = hook.departingUnit;
    }
    const storage = hook?.storageId === undefined ? undefined : state.storage?.[hook.storageId];
    if (storage) {
      // Storage hooks (contract §1.3, interfaces §7.3): the location is the machine's path, under UNIT_FS_ROOT here.
      env.JUJU_STORAGE_ID = storage.id;
      env.JUJU_STORAGE_LOCATION = storage.location;
      env.JUJU_STORAGE_KIND = storage.kind;
    }
    if (hook?.secretId !== undefined) {
      // Interfaces §6.2: the secret's URI and the label this unit knows it by; the revision only when > 0.
      env.JUJU_SECRET_ID = `secret:${hook.secretId}`;
      env.JUJU_SECRET_LABEL = hook.secretLabel ?? "";
      if ((hook.secretRevision ?? 0) > 0) env.JUJU_SECRET_REVISION = String(hook.secretRevision);
    }
    if (hook?.targetBase) {
      // Interfaces §8.1: both in Juju 3.x (4.0 drops the series).
      env.JUJU_TARGET_BASE = hook.targetBase;
      env.JUJU_TARGET_SERIES = seriesOf(parseBase(hook.targetBase));
    }
    if (action) {
      env.JUJU_ACTION_NAME = action.name;
      env.JUJU_ACTION_UUID = action.id;
      env.JUJU_ACTION_TAG = `action-${action.id}`;
    }
    env.JUJU_DISPATCH_PATH = action ? `actions/${action.name}` : `hooks/${hook?.name ?? ""}`;
    return env;
  }

  /** juju exec's context: a hook environment without a hook (no JUJU_DISPATCH_PATH, empty JUJU_HOOK_NAME). */
  async forExec(unit: UnitState, contextId: string, spec: HookSpec): Promise<Record<string, string>> {
    const env = await this.forHook(unit, contextId, spec, undefined);
    delete env.JUJU_DISPATCH_PATH;
    env.JUJU_HOOK_NAME = "";
    return env;
  }
}
