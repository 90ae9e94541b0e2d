/**
 * The charm's entry point (dist/charm.mjs): most of Juju's events are ones the charm ignores, so those exit 0
 * here, having loaded only this small file; every other event (and `hook`/`action` from the command line)
 * loads the program bundle.
 */
declare const HANDLED_HOOKS: readonly string[];

const dispatchPath = process.env.JUJU_DISPATCH_PATH ?? "";
const ignored = process.argv.length <= 2 && dispatchPath.startsWith("hooks/") && !HANDLED_HOOKS.includes(dispatchPath.slice("hooks/".length));
if (!ignored) await import("./main.js");
