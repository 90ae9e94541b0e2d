/**
 * juju/cmd's Output: the `--format` and `-o/--output` options and the smart, json and yaml formatters
 * (contract §2.3).
 */
import type { FlagSet } from "./flags.js";
import { toJson } from "./go-json.js";
import { goQuote } from "./go-text.js";
import { toYaml } from "./go-yaml.js";
import type { ToolIO } from "./io.js";
import { StringSlice, type OutputValue } from "./output-value.js";

export type FormatName = "smart" | "json" | "yaml";

/** cmd.FormatJson: always one line and a newline; nil is `null`. */
export function formatJson(value: OutputValue): string {
  return `${toJson(value)}\n`;
}

/** cmd.FormatYaml: nothing for nil, else the document with exactly one trailing newline. */
export function formatYaml(value: OutputValue): string {
  if (value === null) return "";
  const text = toYaml(value).replace(/\n+$/, "");
  return text === "" ? "" : `${text}\n`;
}

/** cmd.FormatSmart: strings raw, []string as lines, bools as True/False, nothing for nil or "", else YAML. */
export function formatSmart(value: OutputValue): string {
  if (value === null) return "";
  let text: string;
  if (typeof value === "string") text = value;
  else if (value instanceof StringSlice) text = (value.items ?? []).join("\n");
  else if (typeof value === "boolean") text = value ? "True" : "False";
  else return formatYaml(value);
  return text === "" ? "" : `${text}\n`;
}

const FORMATTERS: Readonly<Record<FormatName, (value: OutputValue) => string>> = {
  smart: formatSmart,
  json: formatJson,
  yaml: formatYaml,
};

const ALL_FORMATS: readonly FormatName[] = ["json", "smart", "yaml"];

export interface Output {
  /** The chosen format's name (status-get's smart output differs from its structured one). */
  readonly format: FormatName;
  /** Formats the value to stdout, or to the `-o` file. */
  write(io: ToolIO, value: OutputValue): void;
}

/** cmd.Output.AddFlags: `--format` with the given formats and `-o/--output`. */
export function outputFlags(flags: FlagSet, defaultFormat: FormatName, formats: readonly FormatName[] = ALL_FORMATS): Output {
  let format = defaultFormat;
  const choices = [...formats].sort();
  flags.define(
    ["format"],
    {
      kind: "other",
      defaultText: defaultFormat,
      set(text) {
        if (!choices.includes(text as FormatName)) throw new Error(`unknown format ${goQuote(text)}`);
        format = text as FormatName;
      },
    },
    `Specify output format (${choices.join("|")})`,
  );
  const outputPath = flags.string(["o", "output"], "", "Specify an output file");
  return {
    get format() {
      return format;
    },
    write(io, value) {
      const text = FORMATTERS[format](value);
      if (outputPath.value === "") io.stdout += text;
      else io.writeFile(outputPath.value, text);
    },
  };
}
