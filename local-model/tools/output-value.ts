/**
 * Values as the real hook tools hand them to cmd.Output.Write. Their Go types matter to the output: a
 * []string prints as lines in smart format, a nil map is `null` in JSON but `{}` in YAML, map keys are
 * sorted when written while struct fields keep their order (contract §2.3).
 */

/** A Go map[string]T; `null` is a nil map. */
export class GoMap {
  constructor(readonly entries: ReadonlyMap<string, OutputValue> | null) {}
}

/** A Go []string; `null` is a nil slice. */
export class StringSlice {
  constructor(readonly items: readonly string[] | null) {}
}

/** A Go struct: its fields, with their json/yaml names, in declaration order. */
export class GoStruct {
  constructor(readonly fields: ReadonlyArray<readonly [string, OutputValue]>) {}
}

/** A value as a hook tool passes it to cmd.Output.Write; `null` is Go's untyped nil. */
export type OutputValue = null | string | number | boolean | GoMap | StringSlice | GoStruct | readonly OutputValue[];

export function goMap(record: Readonly<Record<string, OutputValue>>): GoMap {
  return new GoMap(new Map(Object.entries(record)));
}

/** A map lookup as Go writes it: the value, or nil for a missing key (never an error, contract §3.1, §3.6, §3.8). */
export function valueAt(record: Readonly<Record<string, OutputValue>>, key: string): OutputValue {
  return Object.hasOwn(record, key) ? (record[key] ?? null) : null;
}

/** What the `<key>|-` getters print: the whole map for no key, else that key's value or nil. */
export function wholeOrKey(settings: Readonly<Record<string, string>>, key: string): OutputValue {
  return key === "" ? goMap(settings) : valueAt(settings, key);
}

/** Converts decoded data (action parameters, status data) into the map[string]interface{} Go would hold. */
export function fromData(data: unknown): OutputValue {
  if (data === null || data === undefined) return null;
  if (typeof data === "string" || typeof data === "number" || typeof data === "boolean") return data;
  if (Array.isArray(data)) return data.map(fromData);
  if (typeof data === "object") {
    return new GoMap(new Map(Object.entries(data).map(([key, value]) => [key, fromData(value)])));
  }
  return String(data);
}
