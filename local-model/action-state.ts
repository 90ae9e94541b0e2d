import { setDotted } from "./dotted-keys.js";
import type { ActionRecord } from "./state.js";
import type { ActionState } from "./tools/types.js";

/**
 * A running action as its hook tools see it (action-get, action-set, action-fail, action-log), writing into
 * its record. Results arrive as dotted keys and are kept nested, as Juju reports them.
 */
export function actionState(record: ActionRecord): ActionState {
  return {
    name: record.name,
    id: record.id,
    params: record.params,
    setResults(values: Record<string, string>): void {
      for (const [dotted, value] of Object.entries(values)) setDotted(record.results, dotted, value);
    },
    fail(message: string): void {
      record.status = "failed";
      record.message = message;
    },
    log(message: string): void {
      record.logs.push(message);
    },
  };
}
