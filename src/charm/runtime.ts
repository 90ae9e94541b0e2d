import type { EtcdPaths } from "../etcd/paths.js";
import type { HookTools } from "../juju/client.js";
import type { EventContext } from "../juju/context.js";
import type { Logger } from "../log.js";

/** What a handler gets: the event, the hook tools, a logger and where etcd's files live on this unit. */
export interface CharmRuntime {
  readonly event: EventContext;
  readonly tools: HookTools;
  readonly log: Logger;
  readonly paths: EtcdPaths;
}

export type Handler = (charm: CharmRuntime) => Promise<void>;
