/** The JSON that Go's encoding/json writes for an output value (contract §2.3). */
import { goStringOrder } from "./go-text.js";
import { GoMap, GoStruct, StringSlice, type OutputValue } from "./output-value.js";

const JSON_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

/** Characters encoding/json escapes: the quote, the backslash, control characters, <, >, & and U+2028/U+2029. */
const isEscaped = (char: string): boolean => char.charCodeAt(0) < 0x20 || '"\\<>&\u2028\u2029'.includes(char);

/** encoding/json string encoding, which escapes <, > and & for HTML safety and U+2028/U+2029 for JSONP. */
function jsonString(text: string): string {
  let escaped = "";
  for (const char of text) {
    escaped += isEscaped(char) ? (JSON_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`) : char;
  }
  return `"${escaped}"`;
}

/** encoding/json Marshal. */
export function toJson(value: OutputValue): string {
  if (value === null) return "null";
  if (typeof value === "string") return jsonString(value);
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (value instanceof StringSlice) return value.items === null ? "null" : toJson(value.items);
  if (value instanceof GoMap) {
    if (value.entries === null) return "null";
    const keys = [...value.entries.keys()].sort(goStringOrder);
    return `{${keys.map((key) => `${jsonString(key)}:${toJson(value.entries?.get(key) ?? null)}`).join(",")}}`;
  }
  if (value instanceof GoStruct) return `{${value.fields.map(([name, field]) => `${jsonString(name)}:${toJson(field)}`).join(",")}}`;
  return `[${value.map(toJson).join(",")}]`;
}
