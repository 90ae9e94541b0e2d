import type { HookProcessResult, RunningHook } from "./hook-runner.js";
import { ModelError } from "./model-error.js";
import { nextRandom } from "./random.js";
import type { ModelState } from "./state.js";

/**
 * Fault injection (not a Juju feature): the model-config key `fault-injection`, e.g.
 * `hook-failure:0.05,hook-kill:0.05`, gives each hook run (never an action or exec) a chance to
 *
 * - `hook-failure`: run to the end and then count as failed, as if it had exited 1: its writes are discarded,
 *   the unit is in error and the automatic retry (or `resolved`) applies;
 * - `hook-kill`: have its process group SIGKILLed after a delay drawn from [0, 2 s); a hook that ends first
 *   is left alone. A killed hook is re-queued with nothing committed, as Juju does (contract §1.2).
 *
 * Every draw comes from a generator of its own, seeded from the model's seed when fault injection is first
 * turned on and saved with the state, so a seed replays the same faults for the same hook runs, and turning
 * faults on changes none of the model's other choices (leaders, interleaving).
 */

export const FAULT_KINDS = ["hook-failure", "hook-kill"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A killed hook dies this long after it started, at most. */
export const HOOK_KILL_WITHIN_MS = 2000;

/** Probability of each fault per hook run; their sum is at most 1. */
export type FaultSettings = Readonly<Record<FaultKind, number>>;

const OFF = new Set(["", "off", "none", "false"]);

/** Parses and validates a `fault-injection` value; throws a ModelError that says what is wrong. */
export function parseFaultInjection(text: string): FaultSettings {
  const settings: Record<FaultKind, number> = { "hook-failure": 0, "hook-kill": 0 };
  const trimmed = text.trim();
  if (OFF.has(trimmed)) return settings;
  const seen = new Set<string>();
  for (const part of trimmed.split(",")) {
    const match = /^\s*([a-z-]+)\s*:\s*([0-9.]+)\s*$/.exec(part);
    if (!match) throw new ModelError(`fault-injection: expected "<fault>:<probability>[,…]" or "off", got "${part}"`);
    const [, kind = "", value = ""] = match;
    if (!isFaultKind(kind)) throw new ModelError(`fault-injection: unknown fault "${kind}" (known: ${FAULT_KINDS.join(", ")})`);
    if (seen.has(kind)) throw new ModelError(`fault-injection: "${kind}" given twice`);
    seen.add(kind);
    const probability = Number(value);
    if (!Number.isFinite(probability) || probability < 0 || probability > 1) {
      throw new ModelError(`fault-injection: ${kind} probability must be a number from 0 to 1, got "${value}"`);
    }
    settings[kind] = probability;
  }
  const total = FAULT_KINDS.reduce((sum, kind) => sum + settings[kind], 0);
  if (total > 1) throw new ModelError(`fault-injection: the probabilities add up to ${Number(total.toFixed(6))}, more than 1`);
  return settings;
}

function isFaultKind(text: string): text is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(text);
}

/** The canonical text of a setting ("" when off), as model-config stores and shows it. */
export function formatFaultInjection(settings: FaultSettings): string {
  return FAULT_KINDS.filter((kind) => settings[kind] > 0)
    .map((kind) => `${kind}:${settings[kind]}`)
    .join(",");
}

/** What happens to one hook run, drawn before it starts. */
export type HookFault = { readonly kind: "hook-failure" } | { readonly kind: "hook-kill"; readonly afterMs: number };

/** Draws the fault of the next hook run (undefined: none, or fault injection is off). */
export function drawHookFault(state: ModelState): HookFault | undefined {
  const settings = parseFaultInjection(state.modelConfig["fault-injection"] ?? "");
  if (FAULT_KINDS.every((kind) => settings[kind] === 0)) return undefined;
  // The fault generator: its own sequence, derived from the model's seed (mulberry32 like the model's).
  state.faults ??= { rng: (state.seed ^ 0x5eedfa17) >>> 0 };
  const generator = state.faults;
  const draw = nextRandom(generator);
  if (draw < settings["hook-failure"]) return { kind: "hook-failure" };
  if (draw < settings["hook-failure"] + settings["hook-kill"]) return { kind: "hook-kill", afterMs: Math.floor(nextRandom(generator) * HOOK_KILL_WITHIN_MS) };
  return undefined;
}

/**
 * The hook process with its drawn fault applied: a kill timer armed for hook-kill, a successful exit turned
 * into a failure for hook-failure. The result names the fault (`injected`) when it took effect.
 */
export function withHookFault(hook: RunningHook, fault: HookFault | undefined): RunningHook {
  if (!fault) return hook;
  let fired = false;
  const timer =
    fault.kind === "hook-kill"
      ? setTimeout(() => {
          fired = true;
          hook.kill("SIGKILL");
        }, fault.afterMs)
      : undefined;
  const done = hook.done.then((result): HookProcessResult => {
    clearTimeout(timer);
    if (fault.kind === "hook-kill") return fired && result.signal === "SIGKILL" ? { ...result, injected: "hook-kill" } : result;
    if (result.exitCode !== 0 || result.signal !== null || !result.found) return result;
    return { ...result, exitCode: 1, stderr: `${result.stderr}local-model: injected hook failure (fault-injection)\n`, injected: "hook-failure" };
  });
  return { done, kill: (signal) => hook.kill(signal) };
}
