/** The YAML that gopkg.in/yaml.v2 writes for an output value (contract §2.3). */
import { Document, Pair, Scalar, YAMLMap, YAMLSeq, type Node } from "yaml";
import { GoMap, GoStruct, StringSlice, type OutputValue } from "./output-value.js";

// --- map key order ------------------------------------------------------------------------------------------

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

/** yaml.v2's keyList.Less for string keys: a "natural" order in which digit runs compare as numbers. */
function yamlKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] ?? "";
    const bc = br[i] ?? "";
    if (ac === bc) continue;
    const aLetter = LETTER.test(ac);
    const bLetter = LETTER.test(bc);
    if (aLetter && bLetter) return (ac.codePointAt(0) ?? 0) < (bc.codePointAt(0) ?? 0);
    if (aLetter || bLetter) return bLetter;
    let an = 0n;
    let bn = 0n;
    if (ac === "0" || bc === "0") {
      for (let j = i - 1; j >= 0 && DIGIT.test(ar[j] ?? ""); j--) {
        if (ar[j] !== "0") {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && DIGIT.test(ar[ai] ?? ""); ai++) an = an * 10n + BigInt((ar[ai]?.codePointAt(0) ?? 48) - 48);
    let bi = i;
    for (; bi < br.length && DIGIT.test(br[bi] ?? ""); bi++) bn = bn * 10n + BigInt((br[bi]?.codePointAt(0) ?? 48) - 48);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return (ac.codePointAt(0) ?? 0) < (bc.codePointAt(0) ?? 0);
  }
  return ar.length < br.length;
}

// --- which strings yaml.v2 quotes --------------------------------------------------------------------------

/** Plain scalars yaml.v2's resolve looks up in its table; only those starting with a hinted character count. */
const RESOLVED_WORDS = new Set(
  "y Y yes Yes YES true True TRUE on On ON n N no No NO false False FALSE off Off OFF ~ null Null NULL .nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF".split(
    " ",
  ),
);
const HINTED_FIRST = /^[-+0-9yYnNtTfFoO~.]/;
const GO_INT_BASE0 = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/;
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?))?$/;
/** Characters libyaml cannot print as they are: they force double quotes. */
const UNPRINTABLE = /[^\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd]/u;

/** strconv.ParseInt(s, 0, 64) or ParseUint(s, 0, 64) succeeds. */
function isGoInteger(text: string): boolean {
  const match = GO_INT_BASE0.exec(text);
  if (match === null) return false;
  const [, sign = "", digits = ""] = match;
  const magnitude = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits.toLowerCase());
  const value = sign === "-" ? -magnitude : magnitude;
  return (value >= -(2n ** 63n) && value < 2n ** 63n) || (sign === "" && value < 2n ** 64n);
}

/** yaml.v2 parseTimestamp: the layouts it tries with time.Parse, with time.Parse's range checks. */
function isGoTimestamp(text: string): boolean {
  const match = TIMESTAMP.exec(text);
  if (match === null) return false;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((index) => Number(match[index] ?? match[index + 3] ?? 0));
  const daysInMonth = new Date(Date.UTC(year ?? 0, month ?? 0, 0)).getUTCDate();
  return (
    (month ?? 0) >= 1 && (month ?? 0) <= 12 && (day ?? 0) >= 1 && (day ?? 0) <= daysInMonth && (hour ?? 0) < 24 && (minute ?? 0) < 60 && (second ?? 0) < 60
  );
}

/** yaml.v2 resolve("", s) gives something other than !!str: the string would not read back as a string. */
function resolvesAsNonString(text: string): boolean {
  if (text === "") return true;
  if (!HINTED_FIRST.test(text)) return false;
  if (RESOLVED_WORDS.has(text)) return true;
  if (text.startsWith(".")) return YAML_STYLE_FLOAT.test(text);
  if (!/^[-+0-9]/.test(text)) return false;
  if (isGoTimestamp(text)) return true;
  const plain = text.replaceAll("_", "");
  return isGoInteger(plain) || (YAML_STYLE_FLOAT.test(plain) && Number.isFinite(Number(plain)));
}

/**
 * A string scalar styled as yaml.v2 styles it: double quotes when it would resolve to another type or
 * holds characters libyaml escapes, a literal block for multi-line text, else plain where YAML allows it
 * (the emitter falls back to single quotes otherwise).
 */
function stringScalar(text: string, isKey: boolean): Scalar {
  const scalar = new Scalar(text);
  const multiLine = text.includes("\n");
  const unprintable = UNPRINTABLE.test(text);
  if (multiLine) {
    const blockAllowed = !isKey && !unprintable && !/ \n/.test(text) && !text.endsWith(" ");
    scalar.type = blockAllowed ? Scalar.BLOCK_LITERAL : Scalar.QUOTE_DOUBLE;
  } else if (unprintable || resolvesAsNonString(text) || BASE60_FLOAT.test(text)) {
    scalar.type = Scalar.QUOTE_DOUBLE;
  }
  return scalar;
}

// --- the document ---------------------------------------------------------------------------------------------

/** The value as yaml library nodes: maps in yaml.v2 key order (nil ones empty), structs in field order. */
function toYamlNode(value: OutputValue): Node {
  if (typeof value === "string") return stringScalar(value, false);
  if (value === null || typeof value !== "object") return new Scalar(value);
  if (value instanceof StringSlice) return sequence((value.items ?? []).map((item) => stringScalar(item, false)));
  if (value instanceof GoMap) {
    const entries = value.entries ?? new Map<string, OutputValue>();
    const keys = [...entries.keys()].sort((a, b) => (yamlKeyLess(a, b) ? -1 : yamlKeyLess(b, a) ? 1 : 0));
    return mapping(keys.map((key) => [key, entries.get(key) ?? null]));
  }
  if (value instanceof GoStruct) return mapping(value.fields);
  return sequence(value.map(toYamlNode));
}

function mapping(entries: ReadonlyArray<readonly [string, OutputValue]>): YAMLMap {
  const map = new YAMLMap();
  for (const [key, field] of entries) map.items.push(new Pair(stringScalar(key, true), toYamlNode(field)));
  return map;
}

function sequence(items: readonly Node[]): YAMLSeq {
  const seq = new YAMLSeq();
  seq.items.push(...items);
  return seq;
}

/** yaml.v2 Marshal: block style, sequences not indented under their key, no line folding. */
export function toYaml(value: OutputValue): string {
  const doc = new Document(null);
  doc.contents = toYamlNode(value);
  return doc.toString({ indentSeq: false, lineWidth: 0, singleQuote: true, blockQuote: "literal" });
}
