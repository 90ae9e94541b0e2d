import { readFile } from "node:fs/promises";
import { isEnvironmentName } from "./unit-words.js";

/**
 * EnvironmentFile= contents, read as systemd's parse_env_file() does: KEY=VALUE lines; "#" or ";" starts a
 * comment line; values may be single-quoted (literal), double-quoted (\" \\ \$ \` escapes) or bare (a
 * backslash escapes the next character, trailing whitespace is dropped); a backslash at the end of a line
 * continues the value (and a comment) on the next line. Lines with an invalid name are ignored.
 */
export interface ParsedEnvironmentFile {
  readonly variables: ReadonlyArray<readonly [string, string]>;
  readonly warnings: readonly string[];
}

type State = "preKey" | "key" | "preValue" | "value" | "valueEscape" | "singleQuote" | "doubleQuote" | "doubleQuoteEscape" | "comment" | "commentEscape";

const BLANK = new Set([" ", "\t", "\r"]);
const DOUBLE_QUOTE_ESCAPABLE = new Set(['"', "\\", "`", "$"]);

export function parseEnvironmentFile(text: string): ParsedEnvironmentFile {
  const variables: Array<readonly [string, string]> = [];
  const warnings: string[] = [];
  let state: State = "preKey";
  let key = "";
  let value = "";
  // Length of `value` up to its last character that must survive trailing-whitespace trimming.
  let keptLength = 0;
  let line = 1;

  const finish = () => {
    const name = key.trimEnd();
    if (isEnvironmentName(name)) variables.push([name, value.slice(0, keptLength)]);
    else warnings.push(`line ${line}: invalid variable name ${JSON.stringify(name)}, ignoring`);
    key = "";
    value = "";
    keptLength = 0;
    state = "preKey";
  };
  const keep = (chars: string) => {
    value += chars;
    keptLength = value.length;
  };

  for (const char of `${text}\n`) {
    switch (state) {
      case "preKey":
        if (char === "#" || char === ";") state = "comment";
        else if (!BLANK.has(char) && char !== "\n") {
          key = char;
          state = "key";
        }
        break;
      case "key":
        if (char === "\n") {
          warnings.push(`line ${line}: no "=" in ${JSON.stringify(key.trim())}, ignoring`);
          key = "";
          state = "preKey";
        } else if (char === "=") state = "preValue";
        else key += char;
        break;
      case "preValue":
        if (char === "\n") finish();
        else if (char === "'") state = "singleQuote";
        else if (char === '"') state = "doubleQuote";
        else if (char === "\\") state = "valueEscape";
        else if (!BLANK.has(char)) {
          keep(char);
          state = "value";
        }
        break;
      case "value":
        if (char === "\n") finish();
        else if (char === "\\") state = "valueEscape";
        else if (BLANK.has(char)) value += char;
        else keep(char);
        break;
      case "valueEscape":
        if (char !== "\n") keep(char);
        state = "value";
        break;
      case "singleQuote":
        if (char === "'") state = "preValue";
        else keep(char);
        break;
      case "doubleQuote":
        if (char === '"') state = "preValue";
        else if (char === "\\") state = "doubleQuoteEscape";
        else keep(char);
        break;
      case "doubleQuoteEscape":
        if (DOUBLE_QUOTE_ESCAPABLE.has(char)) keep(char);
        else if (char !== "\n") keep(`\\${char}`);
        state = "doubleQuote";
        break;
      case "comment":
        if (char === "\\") state = "commentEscape";
        else if (char === "\n") state = "preKey";
        break;
      case "commentEscape":
        state = "comment";
        break;
    }
    if (char === "\n") line++;
  }
  if (state === "singleQuote" || state === "doubleQuote" || state === "doubleQuoteEscape") {
    warnings.push(`unterminated quote in the value of ${JSON.stringify(key.trim())}, ignoring`);
  }
  return { variables, warnings };
}

export interface EnvironmentFileReference {
  readonly path: string;
  /** Written with a "-" prefix: a missing file is skipped. */
  readonly optional: boolean;
}

/** Thrown when a required environment file cannot be read; the service then fails with Result=resources. */
export class EnvironmentFileError extends Error {
  override readonly name = "EnvironmentFileError";
}

/** Reads the files in order, later assignments overriding earlier ones, as systemd does at each start. */
export async function readEnvironmentFiles(files: readonly EnvironmentFileReference[]): Promise<Record<string, string>> {
  const variables: Record<string, string> = {};
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file.path, "utf8");
    } catch (error) {
      if (file.optional) continue;
      const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "No such file or directory" : String(error);
      throw new EnvironmentFileError(`Failed to load environment files: ${file.path}: ${reason}`);
    }
    for (const [name, value] of parseEnvironmentFile(text).variables) variables[name] = value;
  }
  return variables;
}
