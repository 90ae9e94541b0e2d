import type { Command } from "commander";
import type { z } from "zod";
import type { Controller } from "./controller.js";
import type { Model } from "./model.js";
import type { Scheduling } from "./state.js";

/**
 * What a verb is: its command line (commander's usage, options, and how they become a request), the zod
 * schemas of its request and result, and the controller's handler. Each verb is declared once, with
 * defineVerb, in a verbs-*.ts file; the CLI (cli.ts) and the controller (daemon.ts) are both driven from
 * the table in verbs.ts. Only types come from the controller's modules here: handlers reach the model
 * through the VerbHost they are given, so the CLI process never loads the controller's code.
 */

/** The controller process's side of a verb. */
export interface VerbHost {
  readonly model: Model;
  readonly controller: Controller;
  /** How long the verb may wait for the model (the CLI's --timeout; 10 minutes by default). */
  readonly waitMs: number;
  /** After a change: the unit agents look for work, the state is saved, and the model settles (becomes idle). */
  settle(): Promise<void>;
  /** Once the reply is sent, the controller stops every process it started and removes the model. */
  destroyAfterReply(): void;
}

export interface GlobalOptions {
  readonly model: string;
  readonly seed?: number;
  readonly subnet: string;
  readonly scheduling: Scheduling;
  readonly timeout?: number;
}

/** The CLI process's side: the global options and the connection to the model's controller. */
export interface CliConnection {
  readonly globals: GlobalOptions;
  /** The model directory (-m), absolute. */
  readonly modelDir: string;
  /** Whether the model's controller answers, without starting it. */
  isRunning(): Promise<boolean>;
  /** Starts the model's controller unless it runs. */
  ensureController(): Promise<void>;
  /** Sends a request to the controller; its result, or an Error with the controller's message. */
  send(request: { readonly verb: string }, timeoutMs?: number): Promise<unknown>;
}

/**
 * One invocation's arguments and options, by name: positional arguments as named in the usage, options by
 * commander's camelCase names. Commander types them as `any`; each accessor checks the type it returns.
 */
export class VerbInput {
  private constructor(private readonly values: Readonly<Record<string, unknown>>) {}

  static of(command: Command): VerbInput {
    const values: Record<string, unknown> = { ...command.opts() };
    for (const [i, argument] of command.registeredArguments.entries()) values[argument.name()] = command.processedArgs[i];
    return new VerbInput(values);
  }

  string(name: string): string {
    const value = this.values[name];
    if (typeof value !== "string") throw new Error(`${name}: expected a string, got ${typeof value}`);
    return value;
  }

  optionalString(name: string): string | undefined {
    return this.values[name] === undefined ? undefined : this.string(name);
  }

  /** A variadic argument or a repeatable option (none given: empty). */
  strings(name: string): string[] {
    const value = this.values[name] ?? [];
    if (!isStringArray(value)) throw new Error(`${name}: expected a list of strings`);
    return value;
  }

  number(name: string): number {
    const value = this.values[name];
    if (typeof value !== "number") throw new Error(`${name}: expected a number, got ${typeof value}`);
    return value;
  }

  optionalNumber(name: string): number | undefined {
    return this.values[name] === undefined ? undefined : this.number(name);
  }

  boolean(name: string): boolean {
    const value = this.values[name];
    if (typeof value !== "boolean") throw new Error(`${name}: expected a boolean, got ${typeof value}`);
    return value;
  }
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === "string");

/** How the verb appears on the command line. */
export interface CommandSpec {
  /** Commander's command: the verb, then its arguments ("deploy <charm> [application]"). */
  readonly usage: string;
  readonly description?: string;
  readonly alias?: string;
  readonly hidden?: boolean;
  /** Adds the options (and argument descriptions), in the order help lists them. */
  readonly configure?: (command: Command) => void;
}

/** The usual command: its arguments become a request, and the controller's result is printed. */
export interface RequestCommand<Request, Result> extends CommandSpec {
  readonly toRequest: (input: VerbInput) => Request;
  /** Prints the result (nothing when absent); may set process.exitCode. */
  readonly print?: (result: Result, input: VerbInput) => void;
}

/** A command that does its own work in the CLI process (and may send its verb's request itself). */
export interface CustomCommand<Request, Result> extends CommandSpec {
  readonly run: (input: VerbInput, cli: CliConnection, send: (request: Request) => Promise<Result>) => Promise<void>;
}

export interface VerbSpec<Request extends z.ZodType<object, object>, Result extends z.ZodType> {
  readonly name: string;
  /** The request's fields besides `verb`, checked where the controller receives them. */
  readonly request: Request;
  /** The result, checked where the CLI receives it. */
  readonly result: Result;
  /** Does the work in the controller process: a call to the model's or the controller's method for it. */
  readonly handle: (host: VerbHost, request: z.output<Request>) => Promise<z.input<Result>> | z.input<Result>;
  /** Absent for a verb only the CLI's own code sends (ping). */
  readonly command?: RequestCommand<z.input<Request>, z.output<Result>> | CustomCommand<z.input<Request>, z.output<Result>>;
}

/** A verb as the CLI and the controller drive it, its types checked inside (see defineVerb). */
export interface Verb {
  readonly name: string;
  readonly command?: CommandSpec & { readonly run: (input: VerbInput, cli: CliConnection) => Promise<void> };
  /** The controller's handling of a request that names this verb; absent for verbs the CLI handles alone. */
  readonly serve?: (host: VerbHost, request: unknown) => Promise<unknown>;
}

export function defineVerb<Request extends z.ZodType<object, object>, Result extends z.ZodType>(spec: VerbSpec<Request, Result>): Verb {
  const send = async (cli: CliConnection, request: z.input<Request>, timeoutMs?: number): Promise<z.output<Result>> =>
    spec.result.parse(await cli.send({ ...request, verb: spec.name }, timeoutMs));
  return {
    name: spec.name,
    serve: async (host, request) => spec.handle(host, spec.request.parse(request)),
    ...(spec.command ? { command: { ...spec.command, run: commandRun(spec.command, send) } } : {}),
  };
}

/** How the CLI runs a verb's command: its own way, or the usual request to the controller (started if needed) and print. */
function commandRun<Request, Result>(
  command: RequestCommand<Request, Result> | CustomCommand<Request, Result>,
  send: (cli: CliConnection, request: Request, timeoutMs?: number) => Promise<Result>,
): (input: VerbInput, cli: CliConnection) => Promise<void> {
  if ("run" in command) return (input, cli) => command.run(input, cli, (request) => send(cli, request));
  return async (input, cli) => {
    await cli.ensureController();
    const result = await send(cli, command.toRequest(input), cli.globals.timeout);
    command.print?.(result, input);
  };
}

/** A command with no controller side: the CLI does all of it. */
export interface LocalCommand extends CommandSpec {
  readonly run: (input: VerbInput, cli: CliConnection) => Promise<void>;
}

/** A verb the CLI handles alone (debug-log reads a file; __controller is the controller). */
export function defineLocalVerb(spec: { readonly name: string; readonly command: LocalCommand }): Verb {
  return spec;
}

/** Commander option parsers shared by the verbs. */
export const parseInteger = (value: string) => Number.parseInt(value, 10);
/** A repeatable option's values, in order. */
export const collect = (value: string, previous: string[]) => [...previous, value];
