/**
 * Command-line parsing as Juju's hook tools do it: juju/gnuflag with interspersed flags, wrapped by
 * juju/cmd (contract §2.2). Errors raised while parsing flags or in a command's Init are UsageErrors, which
 * the runner turns into exit code 2.
 */
import { goAtoi, goParseBool, goQuote, goQuoteList, goTrimSpace } from "./go-text.js";
import { fakeId, hookRelation } from "./relation-views.js";
import type { HookToolContext } from "./types.js";

/** A flag-parsing or Init error: printed as `ERROR <message>`, exit 2 (contract §2.2). */
export class UsageError extends Error {}

/** What gnuflag calls a flag.Value: a typed destination for one option (and its aliases). */
export interface FlagValue {
  /** Applies the text given on the command line; throws an Error whose message gnuflag wraps. */
  set(text: string): void;
  /** The default as help prints it. */
  readonly defaultText: string;
  /** "bool" options take a value only as `--name=value`; "string" options have their default quoted in help. */
  readonly kind: "bool" | "string" | "other";
}

interface FlagDefinition {
  readonly names: readonly string[];
  readonly value: FlagValue;
  readonly usage: string;
}

export type ParseOutcome = { readonly help: true } | { readonly help: false; readonly positionals: string[] };

/** gnuflag prints names of one byte with one dash and longer ones with two. */
function withDashes(name: string): string {
  return Buffer.byteLength(name) > 1 ? `--${name}` : `-${name}`;
}

/** A gnuflag FlagSet as juju/cmd configures it: interspersed, options "known as" options. */
export class FlagSet {
  private readonly byName = new Map<string, FlagDefinition>();
  private readonly definitions: FlagDefinition[] = [];

  /** Defines an option under one or more names sharing one value, like repeated f.Var calls in Go. */
  define(names: readonly string[], value: FlagValue, usage: string): void {
    const definition = { names: [...names].sort((a, b) => a.length - b.length), value, usage };
    for (const name of names) {
      if (this.byName.has(name)) throw new Error(`option redefined: ${name}`);
      this.byName.set(name, definition);
    }
    this.definitions.push(definition);
  }

  /** A bool option: present means true; `--name=value` takes any Go ParseBool value. */
  bool(names: readonly string[], usage: string): { readonly value: boolean } {
    const holder = { value: false };
    this.define(names, { kind: "bool", defaultText: "false", set: (text) => (holder.value = goParseBool(text)) }, usage);
    return holder;
  }

  string(names: readonly string[], initial: string, usage: string): { readonly value: string } {
    const holder = { value: initial };
    this.define(names, { kind: "string", defaultText: initial, set: (text) => (holder.value = text) }, usage);
    return holder;
  }

  /** gnuflag's Parse(allowIntersperse=true, args), including its special case for -h/--help. */
  parse(args: readonly string[]): ParseOutcome {
    const positionals: string[] = [];
    let index = 0;
    // Single-letter options grouped in one argument (`-ar 3`) are consumed one rune at a time.
    let pendingShort = "";
    const nextArgument = (): string | undefined => (index < args.length ? args[index++] : undefined);

    for (;;) {
      let name: string;
      let long = false;
      let attached = "";
      if (pendingShort !== "") {
        const [first = "", ...rest] = [...pendingShort];
        name = first;
        attached = rest.join("");
        pendingShort = "";
      } else {
        const arg = nextArgument();
        if (arg === undefined) break;
        if (arg === "-" || arg === "" || !arg.startsWith("-")) {
          positionals.push(arg);
          continue;
        }
        if (arg === "--") {
          positionals.push(...args.slice(index));
          break;
        }
        if (arg.startsWith("--")) {
          long = true;
          const equals = arg.indexOf("=");
          name = equals < 0 ? arg.slice(2) : arg.slice(2, equals);
          attached = equals < 0 ? "" : arg.slice(equals);
          if (name === "") throw new UsageError(`empty option in argument ${goQuote(arg)}`);
        } else {
          const [first = "", ...rest] = [...arg.slice(1)];
          name = first;
          attached = rest.join("");
        }
      }

      const definition = this.byName.get(name);
      if (definition === undefined) {
        if (name === "help" || name === "h") return { help: true };
        throw new UsageError(`option provided but not defined: ${withDashes(name)}`);
      }
      const { value } = definition;
      if (value.kind === "bool" && !attached.startsWith("=")) {
        value.set("true");
        // What follows a short bool option is more single-letter options.
        if (!long) pendingShort = attached;
        continue;
      }
      let text: string | undefined;
      if (attached !== "") text = long ? attached.slice(1) : attached;
      else text = nextArgument();
      if (text === undefined) throw new UsageError(`option needs an argument: ${withDashes(name)}`);
      try {
        value.set(text);
      } catch (error) {
        throw new UsageError(`invalid value ${goQuote(text)} for option ${withDashes(name)}: ${(error as Error).message}`);
      }
    }
    return { help: false, positionals };
  }

  /** gnuflag's PrintDefaults: aliases grouped, groups sorted by their shortest name. */
  describe(): string {
    const groups = [...this.definitions].sort((a, b) => ((a.names[0] ?? "") < (b.names[0] ?? "") ? -1 : 1));
    return groups
      .map(({ names, value, usage }) => {
        const shown = names.map(withDashes).join(", ");
        const defaultPart = value.kind === "string" ? ` (= ${goQuote(value.defaultText)})` : `  (= ${value.defaultText})`;
        return `${shown}${defaultPart}\n    ${usage}\n`;
      })
      .join("");
  }

  get isEmpty(): boolean {
    return this.definitions.length === 0;
  }
}

/** The optional `<key>` of the getters; absent or `-` means every key (""). */
export function keyArgument(arg: string | undefined): string {
  return arg === undefined || arg === "-" ? "" : arg;
}

/** juju/cmd CheckEmpty: leftover positionals are a usage error. */
export function checkEmpty(args: readonly string[]): void {
  if (args.length > 0) throw new UsageError(`unrecognized args: ${goQuoteList(args)}`);
}

/**
 * The `-r/--relation` option (jujuc NewRelationIdValue). Defaults to the hook's relation, else -1. The text
 * after the last `:` is the id; the endpoint prefix is not checked. Validated while flags are parsed, so
 * its errors exit 2.
 */
export function relationFlag(flags: FlagSet, ctx: HookToolContext, usage: string): { readonly id: number } {
  const current = hookRelation(ctx);
  const holder = { id: current?.id ?? -1 };
  const value: FlagValue = {
    kind: "other",
    defaultText: current === undefined ? "" : fakeId(current),
    set(text) {
      let id: number;
      try {
        id = goAtoi(text.slice(text.lastIndexOf(":") + 1));
      } catch {
        throw new Error("invalid relation id");
      }
      if (!ctx.relations().some((relation) => relation.id === id)) throw new Error("relation not found");
      holder.id = id;
    },
  };
  flags.define(["r", "relation"], value, usage);
  return holder;
}

/** The relation id a command needs, or the Init error juju gives without one (contract §2.2). */
export function requireRelation(relation: { readonly id: number }): number {
  if (relation.id === -1) throw new UsageError("no relation id specified");
  return relation.id;
}

/** juju/utils keyvalues.Parse(args, allowEmptyValues=true), used by relation-set, leader-set and state-set. */
export function parseKeyValues(args: readonly string[]): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const arg of args) {
    const equals = arg.indexOf("=");
    if (equals < 0) throw new UsageError(`expected "key=value", got ${goQuote(arg)}`);
    const key = goTrimSpace(arg.slice(0, equals));
    const value = goTrimSpace(arg.slice(equals + 1));
    if (key === "") throw new UsageError(`expected "key=value", got "${key}=${value}"`);
    if (pairs.has(key)) throw new UsageError(`key ${goQuote(key)} specified more than once`);
    pairs.set(key, value);
  }
  return pairs;
}
