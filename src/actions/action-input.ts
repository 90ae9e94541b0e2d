import type { z } from "zod";
import type { CharmRuntime } from "../charm/runtime.js";
import { parseRenderedConfig } from "../etcd/render.js";

/** What every action reads first: its parameters and this unit's member. Each fails the action with why. */

/** The action's parameters, parsed strictly; undefined after failing the action, naming the first bad one. */
export async function actionParams<T extends z.ZodType>(runtime: Pick<CharmRuntime, "tools">, schema: T): Promise<z.output<T> | undefined> {
  const parsed = schema.safeParse(await runtime.tools.actionGet());
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join(".")} ` : "";
  await runtime.tools.actionFail(`invalid parameters: ${where}${issue?.message ?? "not valid"}`);
  return undefined;
}

/** This unit's member's client URLs, from its rendered config; undefined after failing the action when there is none. */
export async function localClientUrls(runtime: Pick<CharmRuntime, "event" | "tools" | "machine">): Promise<readonly string[] | undefined> {
  const local = parseRenderedConfig(await runtime.machine.files.readConfig()).clientUrls;
  if (local.length > 0) return local;
  await runtime.tools.actionFail(`etcd is not running on ${runtime.event.unit}: etcd has not been configured on this unit yet`);
  return undefined;
}
