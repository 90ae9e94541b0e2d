import { ModelError } from "./model-error.js";
import type { ActionRecord } from "./state.js";

/**
 * Operators' verbs waiting on the model: until no hook can run, or until an action ends. A wait that times
 * out rejects with what the model is stuck on.
 */
export class Waiters {
  private idleWaiters: Array<() => void> = [];
  private readonly actionWaiters = new Map<string, Array<(record: ActionRecord) => void>>();

  constructor(private readonly describeBusy: () => string) {}

  untilIdle(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((waiter) => waiter !== done);
        reject(new ModelError(`timed out after ${seconds(timeoutMs)}s waiting for the model to be idle: ${this.describeBusy()}`));
      }, timeoutMs);
      this.idleWaiters.push(done);
    });
  }

  /** The model is idle: every idle wait ends. */
  idleReached(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }

  untilActionEnds(record: ActionRecord, timeoutMs: number): Promise<ActionRecord> {
    return new Promise((resolve, reject) => {
      const done = (ended: ActionRecord) => {
        clearTimeout(timer);
        resolve(ended);
      };
      const timer = setTimeout(() => {
        this.actionWaiters.set(
          record.id,
          (this.actionWaiters.get(record.id) ?? []).filter((waiter) => waiter !== done),
        );
        reject(new ModelError(`timed out after ${seconds(timeoutMs)}s waiting for action ${record.id} on ${record.unit}: ${this.describeBusy()}`));
      }, timeoutMs);
      this.actionWaiters.set(record.id, [...(this.actionWaiters.get(record.id) ?? []), done]);
    });
  }

  /** The action completed or failed: its waits end with its record. */
  actionEnded(record: ActionRecord): void {
    const waiters = this.actionWaiters.get(record.id) ?? [];
    this.actionWaiters.delete(record.id);
    for (const waiter of waiters) waiter(record);
  }
}

const seconds = (ms: number) => Math.round(ms / 1000);
