import pino, { type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs on stderr, which Juju copies into the model's log at WARNING level. Synchronous so
 * that nothing is lost when a hook exits right after logging.
 */
export function createLogger(bindings: Record<string, string> = {}, level = process.env.ETCD_CHARM_LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: bindings }, pino.destination({ dest: 2, sync: true }));
}
