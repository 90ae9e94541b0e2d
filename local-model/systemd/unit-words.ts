/**
 * systemd's word syntax for settings that take several words (ExecStart=, Environment=, WantedBy=): words are
 * split on whitespace, single or double quotes group a word (quotes may start anywhere in a word and are
 * removed), and C-style escapes are decoded inside and outside quotes — systemd's extract_first_word() with
 * EXTRACT_UNQUOTE | EXTRACT_CUNESCAPE | EXTRACT_UNESCAPE_SEPARATORS.
 */

export class WordSyntaxError extends Error {
  override readonly name = "WordSyntaxError";
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
  s: " ",
  // A backslash before a separator keeps the separator inside the word.
  " ": " ",
  "\t": "\t",
};

/** Decodes the escape whose backslash is at `text[at - 1]`; returns the character(s) and how many input characters it used. */
function decodeEscape(text: string, at: number): { value: string; consumed: number } {
  const head = text[at];
  if (head === undefined) throw new WordSyntaxError(`trailing backslash in ${JSON.stringify(text)}`);
  const simple = SIMPLE_ESCAPES[head];
  if (simple !== undefined) return { value: simple, consumed: 1 };
  const hexDigits = head === "x" ? 2 : head === "u" ? 4 : head === "U" ? 8 : 0;
  if (hexDigits > 0) {
    const digits = text.slice(at + 1, at + 1 + hexDigits);
    if (!new RegExp(`^[0-9a-fA-F]{${hexDigits}}$`).test(digits)) throw new WordSyntaxError(`bad \\${head} escape in ${JSON.stringify(text)}`);
    const code = Number.parseInt(digits, 16);
    if (code === 0 || code > 0x10ffff) throw new WordSyntaxError(`escape \\${head}${digits} is not a valid character`);
    return { value: String.fromCodePoint(code), consumed: 1 + hexDigits };
  }
  if (/[0-7]/.test(head)) {
    const digits = text.slice(at, at + 3);
    if (!/^[0-7]{3}$/.test(digits)) throw new WordSyntaxError(`bad octal escape in ${JSON.stringify(text)}`);
    const code = Number.parseInt(digits, 8);
    if (code === 0) throw new WordSyntaxError(`escape \\000 is not allowed`);
    return { value: String.fromCharCode(code), consumed: 3 };
  }
  throw new WordSyntaxError(`unknown escape \\${head} in ${JSON.stringify(text)}`);
}

/** Splits `text` into words; throws WordSyntaxError for unbalanced quotes or a bad escape. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let index = 0;
  for (;;) {
    while (index < text.length && WHITESPACE.has(text.charAt(index))) index++;
    if (index >= text.length) return words;
    let word = "";
    let quote: string | undefined;
    for (; index < text.length; index++) {
      const char = text.charAt(index);
      if (char === "\\") {
        const { value, consumed } = decodeEscape(text, index + 1);
        word += value;
        index += consumed;
      } else if (quote !== undefined) {
        if (char === quote) quote = undefined;
        else word += char;
      } else if (char === '"' || char === "'") {
        quote = char;
      } else if (WHITESPACE.has(char)) {
        break;
      } else {
        word += char;
      }
    }
    if (quote !== undefined) throw new WordSyntaxError(`unbalanced quotes in ${JSON.stringify(text)}`);
    words.push(word);
  }
}

/** Whether `name` may be an environment variable name, as systemd's env_name_is_valid() decides. */
export function isEnvironmentName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
