import { z } from "zod";
import { isIpAddress } from "../domain/address.js";
import { goDurationNs, NANOSECONDS_PER_HOUR, NANOSECONDS_PER_SECOND } from "../domain/go-duration.js";
import { COMPACTION_MODES, type CompactionMode, type EtcdSettings, LOG_LEVELS } from "../domain/settings.js";

export type { EtcdSettings };

/**
 * The charm's options (config.yaml) as one validated value. Pure: `config-get --format=json` output in,
 * either the settings etcd is rendered from or every problem an operator has to fix, each one line that
 * names the option, its value and the reason, for a `blocked` status.
 */

/** The options in config.yaml's order, which is also the order problems are reported in. */
export const CHARM_OPTIONS = [
  "client-port",
  "peer-port",
  "heartbeat-interval",
  "election-timeout",
  "snapshot-count",
  "quota-backend-bytes",
  "auto-compaction-mode",
  "auto-compaction-retention",
  "enable-v2",
  "log-level",
  "tls",
  "tls-extra-sans",
  "snapshot-interval",
  "snapshot-retention",
] as const;
export type CharmOption = (typeof CHARM_OPTIONS)[number];

export interface ConfigProblem {
  readonly option: string;
  /** One line for `juju status`: the option, its value and what is wrong with it. */
  readonly message: string;
}

export type ConfigResult = { readonly ok: true; readonly settings: EtcdSettings } | { readonly ok: false; readonly problems: ConfigProblem[] };

/** The JSON types config-get can hand over for an option; the message completes "<option> <value> …". */
const WholeNumber = z.number({ error: "must be a whole number" });
const Text = z.string({ error: "must be a string" });
const Flag = z.boolean({ error: "must be true or false" });
const choice = <const T extends readonly [string, ...string[]]>(allowed: T) => z.enum(allowed, { error: `must be one of ${allowed.join(", ")}` });

/** A check of one option's value: undefined when fine, else the whole problem message. `subject` is "<option> <value>". */
type Rule<T> = (value: T, subject: string) => string | undefined;

export function parseCharmConfig(raw: Record<string, unknown>): ConfigResult {
  const problems: ConfigProblem[] = [];
  /** The option's value when it has the right type and passes every rule; otherwise records the first problem. */
  const read = <T>(option: CharmOption, schema: z.ZodType<T>, ...rules: Array<Rule<T>>): T | undefined => {
    const input = raw[option];
    const subject = `${option} ${show(input)}`;
    const typed = schema.safeParse(input);
    if (!typed.success) {
      const reason = typed.error.issues[0]?.message ?? "is not valid";
      problems.push({ option, message: input === undefined ? `${option} is not set` : `${subject} ${reason}` });
      return undefined;
    }
    for (const rule of rules) {
      const message = rule(typed.data, subject);
      if (message !== undefined) {
        problems.push({ option, message });
        return undefined;
      }
    }
    return typed.data;
  };

  // Each rule that involves a second option sees that option only when it is valid itself, so one bad
  // value is reported once and not again through every rule that depends on it.
  const clientPort = read("client-port", WholeNumber, between(1024, 65535));
  const peerPort = read("peer-port", WholeNumber, between(1024, 65535), (port) =>
    port === clientPort ? `client-port and peer-port must differ (both ${port})` : undefined,
  );
  const heartbeatInterval = read("heartbeat-interval", WholeNumber, between(10, 5000));
  const electionTimeout = read("election-timeout", WholeNumber, atMost(50_000), (timeout, subject) =>
    heartbeatInterval !== undefined && timeout < 5 * heartbeatInterval ? `${subject} must be ≥ 5 × heartbeat-interval (${heartbeatInterval})` : undefined,
  );
  const snapshotCount = read("snapshot-count", WholeNumber, atLeast(1000));
  const quotaBackendBytes = read("quota-backend-bytes", WholeNumber, between(104_857_600, 8_589_934_592));
  const autoCompactionMode = read("auto-compaction-mode", choice(COMPACTION_MODES));
  const autoCompactionRetention = read("auto-compaction-retention", Text, (retention, subject) =>
    autoCompactionMode === undefined ? undefined : retentionProblem(autoCompactionMode, retention, subject),
  );
  const enableV2 = read("enable-v2", Flag);
  const logLevel = read("log-level", choice(LOG_LEVELS));
  const tls = read("tls", Flag);
  const tlsExtraSans = read("tls-extra-sans", Text, extraSansProblem);
  const snapshotInterval = read("snapshot-interval", Text, snapshotIntervalProblem);
  const snapshotRetention = read("snapshot-retention", WholeNumber, between(1, 1000));

  if (
    problems.length > 0 ||
    clientPort === undefined ||
    peerPort === undefined ||
    heartbeatInterval === undefined ||
    electionTimeout === undefined ||
    snapshotCount === undefined ||
    quotaBackendBytes === undefined ||
    autoCompactionMode === undefined ||
    autoCompactionRetention === undefined ||
    enableV2 === undefined ||
    logLevel === undefined ||
    tls === undefined ||
    tlsExtraSans === undefined ||
    snapshotInterval === undefined ||
    snapshotRetention === undefined
  ) {
    return { ok: false, problems: problems.sort((a, b) => optionIndex(a.option) - optionIndex(b.option)) };
  }
  return {
    ok: true,
    settings: {
      clientPort,
      peerPort,
      heartbeatInterval,
      electionTimeout,
      snapshotCount,
      quotaBackendBytes,
      autoCompactionMode,
      autoCompactionRetention,
      enableV2,
      logLevel,
      tls,
      tlsExtraSans: splitSans(tlsExtraSans),
      snapshotIntervalMs: snapshotInterval === "off" ? undefined : (goDurationNs(snapshotInterval) ?? 0) / 1e6,
      snapshotRetention,
    },
  };
}

/** One status line for all problems: the first one in full, and how many more there are. */
export function blockedMessage(problems: readonly ConfigProblem[]): string {
  const [first, ...more] = problems;
  if (first === undefined) return "";
  return more.length === 0 ? first.message : `${first.message} (+${more.length} more)`;
}

function optionIndex(option: string): number {
  return (CHARM_OPTIONS as readonly string[]).indexOf(option);
}

/** A value as the operator would type it: strings quoted, long ones cut so the message stays one short line. */
function show(value: unknown): string {
  const limit = 32;
  if (typeof value === "string") return JSON.stringify(value.length > limit ? `${value.slice(0, limit)}…` : value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

/** Whole numbers in a range; `undefined` leaves that end open. */
function range(min: number | undefined, max: number | undefined): Rule<number> {
  return (value, subject) => {
    if (!Number.isInteger(value)) return `${subject} must be a whole number`;
    const low = min !== undefined && value < min;
    const high = max !== undefined && value > max;
    if (min !== undefined && max !== undefined) return low || high ? `${subject} must be between ${min} and ${max}` : undefined;
    return low ? `${subject} must be ≥ ${min}` : high ? `${subject} must be ≤ ${max}` : undefined;
  };
}
const between = (min: number, max: number) => range(min, max);
const atLeast = (min: number) => range(min, undefined);
const atMost = (max: number) => range(undefined, max);

/** `tls-extra-sans`: comma- or space-separated entries. */
function splitSans(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/** Each entry an IP address or a DNS name (labels of letters, digits and "-", an optional leading "*."), at most 32. */
function extraSansProblem(text: string, subject: string): string | undefined {
  const entries = splitSans(text);
  if (entries.length > 32) return `${subject} must list at most 32 names`;
  const bad = entries.find((entry) => !isIpAddress(entry) && !isDnsName(entry));
  return bad === undefined ? undefined : `${subject} must list DNS names or IP addresses (${JSON.stringify(bad.slice(0, 32))} is neither)`;
}

function isDnsName(name: string): boolean {
  const labels = (name.startsWith("*.") ? name.slice(2) : name).split(".");
  return name.length <= 253 && labels.every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

/** The shortest schedule: a snapshot reads the whole database, so seconds apart is already a heavy load. */
const MIN_SNAPSHOT_INTERVAL_NS = 10 * NANOSECONDS_PER_SECOND;

function snapshotIntervalProblem(interval: string, subject: string): string | undefined {
  if (interval === "off") return undefined;
  const nanoseconds = goDurationNs(interval);
  if (nanoseconds === undefined) return `${subject} must be off, or a duration such as 6h, 30m or 1h30m`;
  if (nanoseconds < MIN_SNAPSHOT_INTERVAL_NS) return `${subject} must be at least 10s`;
  return nanoseconds > MAX_DURATION_NS ? `${subject} must be at most 2562047h` : undefined;
}

/** Go's time.Duration is an int64 of nanoseconds; etcd cannot hold a longer retention. */
const MAX_DURATION_NS = Number(2n ** 63n - 1n);
const MAX_REVISIONS = 9_223_372_036_854_775_807n;

/**
 * etcd 3.4 reads auto-compaction-retention as a whole number first (hours when periodic, revisions when
 * revision), else as a Go duration; a duration under revision mode would count nanoseconds as revisions.
 */
function retentionProblem(mode: CompactionMode, retention: string, subject: string): string | undefined {
  if (mode === "revision") {
    if (!/^[0-9]+$/.test(retention)) return `${subject} must be a whole number of revisions when auto-compaction-mode is revision`;
    const revisions = BigInt(retention);
    if (revisions === 0n) return `${subject} must not be zero`;
    return revisions > MAX_REVISIONS ? `${subject} must be at most ${MAX_REVISIONS}` : undefined;
  }
  const nanoseconds = /^[0-9]+$/.test(retention) ? Number(retention) * NANOSECONDS_PER_HOUR : goDurationNs(retention);
  if (nanoseconds === undefined) return `${subject} must be a duration such as 30m, 1h or 1h30m, or a whole number of hours`;
  if (nanoseconds === 0) return `${subject} must not be zero`;
  // Shorter periods make etcd's periodic compactor poll in a busy loop.
  if (nanoseconds < NANOSECONDS_PER_SECOND) return `${subject} must be at least 1s`;
  return nanoseconds > MAX_DURATION_NS ? `${subject} must be at most 2562047h` : undefined;
}
