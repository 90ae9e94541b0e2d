import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { splitWords, WordSyntaxError } from "./unit-words.js";

/**
 * One command line of ExecStart=, ExecStartPre=, ExecStop= and friends (systemd.service(5), "Command lines"):
 * optional prefix characters, then the executable and its arguments in systemd's word syntax. Variables are
 * expanded when the command runs, from the service's environment.
 */
export const ExecCommandSchema = z.object({
  /** The setting's value as written, for `show` and `status`. */
  text: z.string(),
  /** The executable: an absolute path, or a bare name looked up in systemd's fixed search path. */
  executable: z.string().min(1),
  /** argv as written, argv[0] included (the second word with the "@" prefix). */
  argv: z.array(z.string()).min(1),
  /** "-": a non-zero exit or unclean signal is recorded but not a failure. */
  ignoreFailure: z.boolean(),
  /** "+", "!" (and "!!"): run with full privileges, User= and Group= are not applied. */
  elevated: z.boolean(),
  /** ":" turns off $VAR and ${VAR} expansion. */
  expandVariables: z.boolean(),
});
export type ExecCommand = z.infer<typeof ExecCommandSchema>;

/** systemd looks up bare executable names here, not in the service's PATH. */
export const EXECUTABLE_SEARCH_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/**
 * Parses one command line. `expandSpecifiers` resolves %-specifiers in each word, as systemd does at load
 * time. Throws WordSyntaxError for a line systemd would refuse.
 */
export function parseExecCommand(text: string, expandSpecifiers: (word: string) => string): ExecCommand {
  const trimmed = text.trimStart();
  let index = 0;
  const seen = new Set<string>();
  for (; index < trimmed.length; index++) {
    const char = trimmed.charAt(index);
    if (!"-@:+!".includes(char)) break;
    // "!!" is one prefix; any other repeated prefix is an error, as is combining "+" with "!".
    const prefix = char === "!" && trimmed[index + 1] === "!" ? "!!" : char;
    if (prefix === "!!") index++;
    if (seen.has(prefix)) throw new WordSyntaxError(`prefix "${prefix}" given twice in ${JSON.stringify(text)}`);
    seen.add(prefix);
  }
  if (seen.has("+") && (seen.has("!") || seen.has("!!"))) throw new WordSyntaxError(`prefixes "+" and "!" conflict in ${JSON.stringify(text)}`);
  const words = splitWords(trimmed.slice(index)).map(expandSpecifiers);
  const [executable, ...rest] = words;
  if (executable === undefined || executable === "") throw new WordSyntaxError(`empty command line ${JSON.stringify(text)}`);
  if (!path.isAbsolute(executable) && executable.includes("/")) {
    throw new WordSyntaxError(`"${executable}" is neither a valid executable name nor an absolute path`);
  }
  const argv = seen.has("@") ? rest : words;
  if (argv.length === 0) throw new WordSyntaxError(`"@" needs a separate argv[0] in ${JSON.stringify(text)}`);
  return {
    text: trimmed,
    executable,
    argv,
    ignoreFailure: seen.has("-"),
    elevated: seen.has("+") || seen.has("!") || seen.has("!!"),
    expandVariables: !seen.has(":"),
  };
}

/** Expands ${NAME}, ${NAME:-default}, ${NAME:+alternative} and $$ inside one word. */
function expandInWord(word: string, environment: Readonly<Record<string, string>>): string {
  let result = "";
  let index = 0;
  while (index < word.length) {
    const dollar = word.indexOf("$", index);
    if (dollar < 0) break;
    result += word.slice(index, dollar);
    if (word[dollar + 1] === "$") {
      result += "$";
      index = dollar + 2;
      continue;
    }
    const close = word[dollar + 1] === "{" ? word.indexOf("}", dollar + 2) : -1;
    if (close < 0) {
      result += "$";
      index = dollar + 1;
      continue;
    }
    const inner = word.slice(dollar + 2, close);
    const operator = /^([^:]*):([-+])(.*)$/s.exec(inner);
    const name = operator?.[1] ?? inner;
    const value = environment[name];
    const alternative = operator?.[3] ?? "";
    if (!operator) result += value ?? "";
    else if (operator[2] === "-") result += value ? value : alternative;
    else result += value ? alternative : "";
    index = close + 1;
  }
  return result + word.slice(index);
}

/**
 * The argv a command runs with: a word that is exactly `$NAME` becomes the variable's value split on
 * whitespace (zero or more arguments); `${NAME}` anywhere in a word is replaced by the exact value.
 */
export function expandArguments(command: ExecCommand, environment: Readonly<Record<string, string>>): string[] {
  if (!command.expandVariables) return [...command.argv];
  const expanded: string[] = [];
  for (const word of command.argv) {
    if (word.length > 1 && word.startsWith("$") && word[1] !== "{" && word[1] !== "$") {
      const value = environment[word.slice(1)];
      if (value !== undefined) expanded.push(...value.split(/[ \t\n\r]+/).filter((part) => part !== ""));
      continue;
    }
    expanded.push(expandInWord(word, environment));
  }
  return expanded;
}

function isExecutableFile(candidate: string): boolean {
  try {
    accessSync(candidate, constants.X_OK);
    return statSync(candidate).isFile();
  } catch {
    return false;
  }
}

/** The absolute path of the executable, or undefined when there is no such executable file. */
export function resolveExecutable(executable: string): string | undefined {
  if (path.isAbsolute(executable)) return isExecutableFile(executable) ? executable : undefined;
  return EXECUTABLE_SEARCH_PATH.map((dir) => path.join(dir, executable)).find(isExecutableFile);
}
