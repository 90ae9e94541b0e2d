import { Command } from "commander";
import { hostRuntime } from "./charm/runtime.js";
import { dispatch } from "./dispatch.js";
import { readEventContext } from "./juju/context.js";
import { createLogger } from "./log.js";

/**
 * The charm's one program. `dispatch` (the default) runs the event named by JUJU_DISPATCH_PATH, as Juju
 * invokes it; `hook <name>` and `action <name>` set that path first, for debugging on a unit.
 */
async function runEvent(dispatchPath: string | undefined): Promise<void> {
  if (dispatchPath !== undefined) process.env.JUJU_DISPATCH_PATH = dispatchPath;
  const where = process.env.JUJU_DISPATCH_PATH ?? "(no JUJU_DISPATCH_PATH)";
  const log = createLogger({ unit: process.env.JUJU_UNIT_NAME ?? "", event: where });
  try {
    const event = readEventContext(process.env);
    const outcome = await dispatch(hostRuntime(event, log));
    log.debug({ outcome }, "event done");
  } catch (error) {
    log.error({ err: error }, "event failed");
    const message = error instanceof Error ? error.message : String(error);
    // One line for the operator; Juju marks the hook failed and retries it.
    process.stderr.write(`etcd charm: ${where} failed: ${message.split("\n")[0]}\n`);
    process.exitCode = 1;
  }
}

const program = new Command().name("etcd-charm").description("The etcd charm's hook and action runner").showHelpAfterError();

program
  .command("dispatch", { isDefault: true })
  .description("run the event named by JUJU_DISPATCH_PATH (how Juju runs the charm)")
  .action(() => runEvent(undefined));

program
  .command("hook <name>")
  .description("run a hook by name, e.g. update-status")
  .action((name: string) => runEvent(`hooks/${name}`));

program
  .command("action <name>")
  .description("run an action by name, e.g. health")
  .action((name: string) => runEvent(`actions/${name}`));

await program.parseAsync(process.argv);
