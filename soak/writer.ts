import { setTimeout as sleep } from "node:timers/promises";
import { endpointOf, type Scheme } from "../src/domain/address.js";
import { type ClientTls, ETCDCTL_TIMEOUTS, Etcdctl, EtcdctlError } from "../src/etcd/etcdctl.js";

/** One write attempt of the client, acknowledged or not. */
export interface WriteAttempt {
  readonly n: number;
  readonly key: string;
  /** Epoch ms. */
  readonly start: number;
  readonly end: number;
  readonly ok: boolean;
  /** The scheme that acknowledged it. */
  readonly scheme?: Scheme;
  readonly error?: string;
}

/** A stretch in which every write failed for longer than QUORUM_LOSS_MS (see soak/README.md). */
export interface Unavailability {
  readonly from: number;
  readonly to: number;
  readonly ms: number;
  readonly failedAttempts: number;
  readonly lastError: string;
}

/** Writes failing for longer than this, continuously, count as a quorum loss. */
export const QUORUM_LOSS_MS = 3000;
/**
 * etcdctl's words for "no endpoint of this call could be reached" (the wrong scheme, a stopped member): the
 * balancer had no connection to send the request on. Anything else means a member answered.
 */
/**
 * The other scheme may work: the member does not serve this one (or not yet), or the client has no credentials
 * for https yet (a consumer of a cluster that is still on plaintext has none).
 */
const UNREACHABLE =
  /all SubConns are in TransientFailure|connection refused|authentication handshake failed|first record does not look like a TLS handshake|open \S+: no such file or directory/;
/** Pause after each attempt: with etcdctl's own time that is a write round trip every ~250-400 ms. */
const PAUSE_MS = 200;

export interface WriterOptions {
  /** Key prefix, unique to the run. */
  readonly prefix: string;
  /** At most this many attempts, and no attempt after this long. */
  readonly maxWrites: number;
  readonly maxMs: number;
}

/**
 * The client: writes unique keys with increasing values (`<prefix>000001` = "1", …) one after another
 * through the current members' client endpoints (etcdctl fails over between them), and records every attempt.
 * A write is acknowledged when etcdctl exits 0; only those must survive.
 *
 * Members move between http and https one at a time when `tls` changes, and etcdctl dials every endpoint of a
 * call with one transport: an attempt asks all endpoints under one scheme, and when none of them answered under
 * it, under the other (as the charm's `underBothSchemes`). It starts with https and then with whichever scheme
 * acknowledged last, so that a plaintext cluster does not cost every write a TLS timeout first. An answer under
 * the first scheme that is an error (no leader yet, a timed-out request) is the attempt's outcome: asking the
 * other scheme then would only stretch one failed attempt past the quorum-loss threshold. Retrying a key under
 * the other scheme writes the same value, so an attempt is acknowledged at most once either way.
 */
export class Writer {
  readonly attempts: WriteAttempt[] = [];
  /** Acknowledged writes: key → value, in the order they were acknowledged. */
  readonly acknowledged = new Map<string, string>();
  /** host:port of each member's client listener, whatever its scheme. */
  private endpoints: readonly string[];
  private schemes: [Scheme, Scheme] = ["https", "http"];
  private tls: ClientTls | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private started = 0;

  constructor(
    private readonly options: WriterOptions,
    endpoints: readonly string[],
  ) {
    this.endpoints = endpoints.map(endpointOf);
  }

  /** The client URLs (or host:port endpoints) writes go through from the next attempt on, under either scheme. */
  setEndpoints(endpoints: readonly string[]): void {
    if (endpoints.length === 0) throw new Error("the writer needs at least one endpoint");
    this.endpoints = [...new Set(endpoints.map(endpointOf))];
  }

  /** Starts writing; `tls` is the client identity for https endpoints. */
  start(tls: ClientTls): void {
    this.tls = tls;
    this.started = Date.now();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const { prefix, maxWrites, maxMs } = this.options;
    for (let n = 1; n <= maxWrites && !this.stopped && Date.now() - this.started < maxMs; n++) {
      const key = `${prefix}${String(n).padStart(7, "0")}`;
      const value = String(n);
      const start = Date.now();
      const errors: string[] = [];
      let acknowledged = false;
      for (const scheme of [...this.schemes]) {
        try {
          await this.put(scheme, key, value);
          this.attempts.push({ n, key, start, end: Date.now(), ok: true, scheme });
          this.acknowledged.set(key, value);
          if (scheme !== this.schemes[0]) this.schemes.reverse();
          acknowledged = true;
          break;
        } catch (error) {
          const message = error instanceof EtcdctlError ? error.message.replace(/^etcdctl put \S+ \S+ failed: /, "") : String(error);
          errors.push(`${scheme}: ${message}`);
          if (!(error instanceof EtcdctlError && UNREACHABLE.test(error.stderr))) break;
        }
      }
      if (!acknowledged) this.attempts.push({ n, key, start, end: Date.now(), ok: false, error: errors.join("; ") });
      await sleep(PAUSE_MS);
    }
  }

  private put(scheme: Scheme, key: string, value: string): Promise<void> {
    const endpoints = this.endpoints.map((endpoint) => `${scheme}://${endpoint}`);
    const tls = scheme === "https" ? this.tls : undefined;
    return new Etcdctl({ endpoints, timeouts: ETCDCTL_TIMEOUTS.observe, ...(tls ? { tls } : {}) }).put(key, value);
  }
}

/**
 * Quorum losses in a list of attempts: each maximal run of failed attempts lasting more than QUORUM_LOSS_MS,
 * from the start of its first failed attempt to the start of the next acknowledged one (or the end of its
 * last attempt when none followed).
 */
export function unavailabilities(attempts: readonly WriteAttempt[]): Unavailability[] {
  const found: Unavailability[] = [];
  let first: WriteAttempt | undefined;
  let failed = 0;
  let lastError = "";
  const close = (to: number) => {
    if (first && to - first.start > QUORUM_LOSS_MS) found.push({ from: first.start, to, ms: to - first.start, failedAttempts: failed, lastError });
    first = undefined;
    failed = 0;
  };
  for (const attempt of attempts) {
    if (attempt.ok) {
      close(attempt.start);
      continue;
    }
    first ??= attempt;
    failed++;
    lastError = attempt.error ?? "";
  }
  const last = attempts.at(-1);
  if (last) close(last.end);
  return found;
}

/** The longest time between two consecutive acknowledgements (from `since` to the first one, too). */
export function longestGap(attempts: readonly WriteAttempt[], since: number): { ms: number; from: number; to: number } {
  let previous = since;
  let longest = { ms: 0, from: since, to: since };
  for (const attempt of attempts) {
    if (!attempt.ok) continue;
    if (attempt.end - previous > longest.ms) longest = { ms: attempt.end - previous, from: previous, to: attempt.end };
    previous = attempt.end;
  }
  return longest;
}
