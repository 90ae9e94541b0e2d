import { Ajv } from "ajv";
import { parse as parseYaml } from "yaml";
import type { ActionSpec } from "./charm.js";
import { setDotted } from "./dotted-keys.js";
import { ModelError } from "./model-error.js";

/**
 * `juju run` parameters: `key=value` pairs whose values are read as YAML (so `n=3` is a number and
 * `force=true` a boolean), dotted keys nesting objects; validated against the action's JSON schema with the
 * defaults from actions.yaml filled in (contract §6.5, §3.13).
 */
export function parseActionArguments(assignments: readonly string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const at = assignment.indexOf("=");
    if (at <= 0) throw new ModelError(`argument "${assignment}" must be of the form key=value`);
    const text = assignment.slice(at + 1);
    let value: unknown;
    try {
      value = parseYaml(text);
    } catch {
      value = text;
    }
    setDotted(params, assignment.slice(0, at), value ?? "");
  }
  return params;
}

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });

export function validateActionParams(unit: string, action: string, spec: ActionSpec | undefined, params: Record<string, unknown>): Record<string, unknown> {
  if (!spec) throw new ModelError(`action "${action}" not defined on unit "${unit}"`);
  const schema = {
    type: "object",
    properties: spec.params,
    required: [...spec.required],
    additionalProperties: spec.additionalProperties,
  };
  const validate = ajv.compile(schema);
  const filled = structuredClone(params);
  if (!validate(filled)) {
    const reasons = (validate.errors ?? []).map(
      (error) =>
        `${error.instancePath || "params"} ${error.message ?? "is invalid"}${error.params && "additionalProperty" in error.params ? ` (${String(error.params.additionalProperty)})` : ""}`,
    );
    throw new ModelError(`validation failed: ${reasons.join("; ")}`);
  }
  return filled;
}
