/** Deadlines for a service's timeouts (TimeoutStartSec=, TimeoutStopSec=), as Date.now() values; Infinity for none. */

/** The deadline `milliseconds` from now; null (no timeout) never passes. */
export const deadlineAfter = (milliseconds: number | null): number => (milliseconds === null ? Infinity : Date.now() + milliseconds);

/** Resolves to the promise's value, or to undefined once the deadline has passed. */
export async function before<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  if (deadline === Infinity) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
