/**
 * The hook tools of the local model: Juju 3.x's jujuc command registry (contract §2.1) served against one
 * hook context. Tools the local model does not simulate answer every invocation with an explicit error.
 */
import { actionFail, actionGet, actionLog, actionSet } from "./action.js";
import { runTool, type HookToolSpec } from "./command.js";
import { configGet } from "./config.js";
import { isLeader, leaderGet, leaderSet } from "./leader.js";
import { jujuLog } from "./log.js";
import { credentialGet, goalState, jujuReboot, resourceGet } from "./misc.js";
import { networkGet, unitGet } from "./network.js";
import { closePort, openedPorts, openPort } from "./ports.js";
import { relationGet, relationIds, relationList, relationModelGet, relationSet } from "./relation.js";
import { secretGet, secretIds, secretInfoGet } from "./secret-read.js";
import { secretAdd, secretGrant, secretRemove, secretRevoke, secretSet } from "./secret-write.js";
import { stateDelete, stateGet, stateSet } from "./state.js";
import { storageAdd, storageGet, storageList } from "./storage.js";
import { applicationVersionSet, statusGet, statusSet } from "./status.js";
import type { HookToolContext, ToolInvocation, ToolResult } from "./types.js";

const SIMULATED: readonly HookToolSpec[] = [
  relationGet,
  relationSet,
  relationIds,
  relationList,
  relationModelGet,
  configGet,
  isLeader,
  leaderGet,
  leaderSet,
  statusSet,
  statusGet,
  applicationVersionSet,
  jujuLog,
  actionGet,
  actionSet,
  actionFail,
  actionLog,
  unitGet,
  networkGet,
  openPort,
  closePort,
  openedPorts,
  jujuReboot,
  stateGet,
  stateSet,
  stateDelete,
  goalState,
  credentialGet,
  resourceGet,
  storageGet,
  storageList,
  storageAdd,
  secretAdd,
  secretSet,
  secretRemove,
  secretGet,
  secretInfoGet,
  secretGrant,
  secretRevoke,
  secretIds,
];

/** The rest of the 3.x registry: metrics, payloads and the Kubernetes pod-spec tools. */
const NOT_SIMULATED: readonly string[] = [
  "add-metric",
  "payload-register",
  "payload-unregister",
  "payload-status-set",
  "k8s-spec-set",
  "k8s-spec-get",
  "k8s-raw-set",
  "k8s-raw-get",
  "pod-spec-set",
  "pod-spec-get",
];

const SPECS = new Map(SIMULATED.map((spec) => [spec.name, spec]));

/** Every tool name the local model answers, for the tools directory on a hook's PATH. */
export const HOOK_TOOL_NAMES: readonly string[] = [...SPECS.keys(), ...NOT_SIMULATED].sort();

/** Runs one hook-tool invocation as the unit agent's jujuc server would, returning what the client prints. */
export function runHookTool(ctx: HookToolContext, invocation: ToolInvocation): ToolResult {
  const spec = SPECS.get(invocation.tool);
  if (spec !== undefined) return runTool(spec, ctx, invocation);
  if (NOT_SIMULATED.includes(invocation.tool)) {
    return { code: 1, stdout: "", stderr: `ERROR ${invocation.tool} is not supported by the local model\n` };
  }
  return { code: 1, stdout: "", stderr: `ERROR bad request: unknown command: ${invocation.tool}\n` };
}
