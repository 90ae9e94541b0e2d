import { addUnit, deploy, integrate, refresh, removeApplication, removeRelation, removeUnit } from "./verbs-applications.js";
import { exec, run } from "./verbs-actions.js";
import { config, modelConfig } from "./verbs-config.js";
import { controllerProcess, debugLog, destroy, elect, ping, resolved, status, wait } from "./verbs-model.js";
import { addSecret, grantSecret, secrets, showSecret, updateSecret } from "./verbs-secrets.js";
import { heal, partition } from "./verbs-network.js";
import { setApplicationBase, upgradeMachine } from "./verbs-machines.js";
import type { Verb } from "./verb.js";
import { addStorageVerb, attachResource, attachStorageVerb, detachStorageVerb, storage } from "./verbs-storage.js";

/**
 * Every verb of the local model, in the order `local-model --help` lists them. The CLI defines its commands
 * from this table and the controller answers requests from it; a verb is declared once, in its verbs-*.ts file.
 */
export const verbs: readonly Verb[] = [
  deploy,
  refresh,
  setApplicationBase,
  upgradeMachine,
  addUnit,
  removeUnit,
  removeApplication,
  integrate,
  removeRelation,
  addStorageVerb,
  attachStorageVerb,
  detachStorageVerb,
  storage,
  attachResource,
  config,
  modelConfig,
  run,
  exec,
  addSecret,
  updateSecret,
  grantSecret,
  secrets,
  showSecret,
  status,
  resolved,
  elect,
  partition,
  heal,
  wait,
  debugLog,
  destroy,
  controllerProcess,
  ping,
];

const byName = new Map(verbs.map((verb) => [verb.name, verb]));

export function verbNamed(name: string): Verb | undefined {
  return byName.get(name);
}
