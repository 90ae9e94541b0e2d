/**
 * The few Go standard-library behaviours whose exact text reaches a hook tool's output or error messages:
 * `%q` quoting, `strconv.Atoi`/`ParseBool` and `strings.TrimSpace`. Juju's tools are Go programs, so the
 * simulator reproduces these rather than JavaScript's near-equivalents (contract §2.2).
 */

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  "\u0007": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\u000b": "\\v",
  "\\": "\\\\",
  '"': '\\"',
};

/** True for code points Go's strconv.IsPrint rejects that can plausibly reach a message: controls and separators. */
function isGoUnprintable(codePoint: number): boolean {
  return (
    codePoint < 0x20 ||
    (codePoint >= 0x7f && codePoint < 0xa0) ||
    codePoint === 0xad ||
    (codePoint >= 0x2028 && codePoint <= 0x2029) ||
    codePoint === 0xfeff ||
    (codePoint >= 0xd800 && codePoint <= 0xdfff)
  );
}

/** Go's `%q` (strconv.Quote) for a string. */
export function goQuote(text: string): string {
  let quoted = '"';
  for (const char of text) {
    const short = SHORT_ESCAPES[char];
    const codePoint = char.codePointAt(0) ?? 0;
    if (short !== undefined) quoted += short;
    else if (!isGoUnprintable(codePoint)) quoted += char;
    else if (codePoint < 0x80) quoted += `\\x${codePoint.toString(16).padStart(2, "0")}`;
    else quoted += `\\u${codePoint.toString(16).padStart(4, "0")}`;
  }
  return `${quoted}"`;
}

/** Go's `%q` for a []string: `["a" "b"]`. */
export function goQuoteList(items: readonly string[]): string {
  return `[${items.map(goQuote).join(" ")}]`;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** Go's strconv.Atoi on a 64-bit platform; throws with Go's error text. */
export function goAtoi(text: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) throw new Error(`strconv.Atoi: parsing ${goQuote(text)}: invalid syntax`);
  const value = BigInt(text);
  if (value > INT64_MAX || value < INT64_MIN) throw new Error(`strconv.Atoi: parsing ${goQuote(text)}: value out of range`);
  return Number(value);
}

const GO_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const GO_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** Go's strconv.ParseBool, which gnuflag uses for `--flag=value` on bool flags (contract §2.2). */
export function goParseBool(text: string): boolean {
  if (GO_TRUE.has(text)) return true;
  if (GO_FALSE.has(text)) return false;
  throw new Error(`strconv.ParseBool: parsing ${goQuote(text)}: invalid syntax`);
}

const GO_SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const LEADING_SPACE = new RegExp(`^[${GO_SPACE}]+`, "u");
const TRAILING_SPACE = new RegExp(`[${GO_SPACE}]+$`, "u");

/** Go's strings.TrimSpace: trims unicode.IsSpace characters (not U+FEFF, unlike String.prototype.trim). */
export function goTrimSpace(text: string): string {
  return text.replace(LEADING_SPACE, "").replace(TRAILING_SPACE, "");
}

/** Go's sort.Strings order: by UTF-8 bytes. */
export function goStringOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
