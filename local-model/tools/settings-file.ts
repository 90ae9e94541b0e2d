/**
 * The `--file <path|->` option of relation-set and state-set (cmd.FileVar) and the decoding of its content:
 * yaml.v2 Unmarshal into a map[string]string, with key=value arguments overriding file entries (contract §2.2).
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Scalar } from "yaml";
import type { FlagSet } from "./flags.js";
import type { ToolIO } from "./io.js";
import { ToolRunError } from "./types.js";

type GoTarget = "map[string]string" | "string";

/** yaml.v2's short tag of a node that cannot be decoded, as its "cannot unmarshal" errors print it. */
function shortTag(node: unknown): string {
  if (isMap(node)) return "!!map";
  if (isSeq(node)) return "!!seq";
  if (isScalar(node)) {
    if (typeof node.value === "number") return Number.isInteger(node.value) && !/[.eE]/.test(node.source ?? "") ? "!!int" : "!!float";
    if (typeof node.value === "boolean") return "!!bool";
  }
  return "!!str";
}

/** The text yaml.v2 keeps for a scalar decoded into a string: its source, not its resolved value. */
function scalarText(node: Scalar): string {
  if (node.value === null || node.value === undefined) return "";
  if (typeof node.value === "string") return node.value;
  return node.source ?? String(node.value);
}

/** Decodes a YAML (or JSON) document as yaml.v2 decodes it into map[string]string. */
export function decodeStringMap(text: string): Map<string, string> {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { version: "1.1", uniqueKeys: false, lineCounter });
  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) {
    const line = syntaxError.linePos?.[0].line ?? 1;
    const message = (syntaxError.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
    throw new ToolRunError(`yaml: line ${line}: ${message}`);
  }

  const typeErrors: string[] = [];
  const cannotDecode = (node: unknown, target: GoTarget): void => {
    const offset = (node as { range?: readonly number[] }).range?.[0] ?? 0;
    let shown = "";
    if (isScalar(node)) {
      const value = typeof node.value === "string" ? node.value : (node.source ?? String(node.value));
      shown = value.length > 10 ? ` \`${value.slice(0, 7)}...\`` : ` \`${value}\``;
    }
    typeErrors.push(`line ${lineCounter.linePos(offset).line}: cannot unmarshal ${shortTag(node)}${shown} into ${target}`);
  };
  const asString = (node: unknown): string | undefined => {
    const resolved = isAlias(node) ? node.resolve(doc) : node;
    if (resolved === null || resolved === undefined) return "";
    if (isScalar(resolved)) return scalarText(resolved);
    cannotDecode(resolved, "string");
    return undefined;
  };

  const settings = new Map<string, string>();
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return settings;
  if (!isMap(root)) {
    cannotDecode(root, "map[string]string");
  } else {
    for (const pair of root.items) {
      const key = asString(pair.key);
      const value = asString(pair.value);
      if (key !== undefined && value !== undefined) settings.set(key, value);
    }
  }
  if (typeErrors.length > 0) throw new ToolRunError(`yaml: unmarshal errors:\n  ${typeErrors.join("\n  ")}`);
  return settings;
}

/** The `--file` option: a path, or `-` for the client's stdin. */
export function fileFlag(flags: FlagSet): { readonly path: string } {
  const holder = { path: "" };
  flags.define(["file"], { kind: "other", defaultText: "", set: (text) => (holder.path = text) }, "file containing key-value pairs");
  return holder;
}

/** The file's settings with the key=value arguments applied over them (no file: just the arguments). */
export function settingsWithFile(io: ToolIO, file: { readonly path: string }, overrides: ReadonlyMap<string, string>): Map<string, string> {
  if (file.path === "") return new Map(overrides);
  const settings = decodeStringMap(file.path === "-" ? io.readStdin() : io.readFile(file.path));
  for (const [key, value] of overrides) settings.set(key, value);
  return settings;
}
