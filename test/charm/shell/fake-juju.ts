import { readFileSync } from "node:fs";
import type { ToolOutcome, ToolRunner } from "../../../src/juju/runner.js";

/**
 * Juju's side of a model, in memory: config, leadership, leader settings, relations and their bags, unit
 * state, status and logs, answered through the same hook-tool argv and JSON the real tools use (contract
 * §3), so the charm's typed client runs unchanged. Every call is recorded. Leader settings, relation bags and
 * status apply at once (the fake does not model their commit); unit state is committed with the hook, as
 * Juju does (contract §3.18: the hook reads its own writes, a failed hook's are dropped); secrets follow Juju's rules
 * (juju-interfaces-and-features.md §6): application-owned, added and removed by the leader only, readable by
 * every unit of the application, and written only when the hook ends well: FakeWorld calls `commit` or
 * `discard` for the unit's pending secret writes at the end of each run.
 */

export interface ToolCall {
  readonly unit: string;
  readonly tool: string;
  readonly args: readonly string[];
  readonly stdin: string | undefined;
}

interface Relation {
  readonly endpoint: string;
  /** The application on the other side (`relation-list --app`); for the peer relation this one. */
  readonly remoteApp: string;
  /** Units on this relation: for the peer relation the application's units, else the remote units. */
  units: string[];
  readonly bags: Map<string, Record<string, string>>;
}

type Bag = Record<string, string>;

/** An application-owned secret (the only kind the charm makes). */
export interface FakeSecret {
  /** `secret:` and 20 base32 characters, as Juju prints a local secret's URI. */
  readonly id: string;
  readonly app: string;
  readonly label: string | undefined;
  readonly description: string | undefined;
  readonly content: Readonly<Bag>;
}

/** What a unit's running hook wrote to secrets: applied by `commit`, dropped by `discard`. */
interface PendingSecrets {
  readonly added: FakeSecret[];
  readonly removed: Set<string>;
  /** New revisions (secret-set): URI → content. */
  readonly revised: Map<string, Readonly<Bag>>;
}

/** Secret content keys as Juju checks them (§6.4). */
const SECRET_KEY = /^([a-z](?:-?[a-z0-9]){2,})$/;
const appOf = (unit: string) => unit.split("/")[0] ?? unit;

const ok = (stdout = ""): ToolOutcome => ({ stdout, stderr: "", exitCode: 0 });
const json = (value: unknown): ToolOutcome => ok(`${JSON.stringify(value)}\n`);
const fail = (message: string, exitCode = 1): ToolOutcome => ({ stdout: "", stderr: `ERROR ${message}\n`, exitCode });

function applyPairs(bag: Bag, pairs: readonly string[]): void {
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    const key = pair.slice(0, at);
    const value = pair.slice(at + 1);
    if (value === "") delete bag[key];
    else bag[key] = value;
  }
}

export class FakeJuju {
  config: Record<string, string | number | boolean> = {};
  leader = "";
  readonly leaderBag: Bag = {};
  readonly addresses = new Map<string, string>();
  readonly unitState = new Map<string, Bag>();
  readonly statuses = new Map<string, { kind: string; message: string }[]>();
  readonly logs: string[] = [];
  readonly calls: ToolCall[] = [];
  readonly relations = new Map<string, Relation>();
  actionResults: Bag = {};
  actionFailure: string | undefined;
  /** Committed secrets by URI. */
  readonly secrets = new Map<string, FakeSecret>();
  private readonly pending = new Map<string, PendingSecrets>();
  /** A running hook's unit state, its own state-set writes included: applied by `commit`, dropped by `discard`. */
  private readonly pendingState = new Map<string, Bag>();
  private nextRelationId = 1;
  private nextSecret = 1;

  addUnit(unit: string, address: string): void {
    this.addresses.set(unit, address);
    this.unitState.set(unit, {});
    if (!this.leader) this.leader = unit;
  }

  addRelation(endpoint: string, units: string[], remoteApp = appOf(units[0] ?? "etcd/0")): string {
    const id = `${endpoint}:${this.nextRelationId++}`;
    this.relations.set(id, { endpoint, remoteApp, units, bags: new Map() });
    return id;
  }

  /** The unit's hook ended well: its secret writes take effect. */
  commit(unit: string): void {
    const pending = this.pending.get(unit);
    this.pending.delete(unit);
    for (const secret of pending?.added ?? []) this.secrets.set(secret.id, secret);
    for (const [id, content] of pending?.revised ?? []) {
      const secret = this.secrets.get(id);
      if (secret) this.secrets.set(id, { ...secret, content });
    }
    for (const id of pending?.removed ?? []) this.secrets.delete(id);
    const state = this.pendingState.get(unit);
    this.pendingState.delete(unit);
    if (state) this.unitState.set(unit, state);
  }

  /** The unit's hook failed: Juju keeps no new secret and removes none (§6.6). */
  discard(unit: string): void {
    this.pending.delete(unit);
    this.pendingState.delete(unit);
  }

  private pendingOf(unit: string): PendingSecrets {
    let pending = this.pending.get(unit);
    if (!pending) {
      pending = { added: [], removed: new Set(), revised: new Map() };
      this.pending.set(unit, pending);
    }
    return pending;
  }

  /** Secrets as this unit sees them now: the committed ones and its own hook's pending creates (§6.1). */
  private visibleSecrets(unit: string): FakeSecret[] {
    return [...this.secrets.values(), ...(this.pending.get(unit)?.added ?? [])].filter((secret) => secret.app === appOf(unit));
  }

  private findSecret(unit: string, args: readonly string[]): FakeSecret | undefined {
    const at = args.indexOf("--label");
    const wanted = at >= 0 ? { label: args[at + 1] } : { id: args.find((arg) => !arg.startsWith("--")) };
    return this.visibleSecrets(unit).find((secret) => ("label" in wanted ? secret.label === wanted.label : secret.id === wanted.id));
  }

  /** `secret-set <id> key#file=…`: a new revision, committed with the hook; the setting unit reads it at once. */
  private secretSet(unit: string, args: readonly string[]): ToolOutcome {
    const [id = "", ...rest] = args;
    const secret = this.findSecret(unit, [id]);
    if (!secret) return fail(`secret "${id}" not found`);
    if (this.leader !== unit) return fail("this unit is not the leader");
    const parsed = this.secretContent(rest);
    if (typeof parsed === "string") return fail(parsed);
    this.pendingOf(unit).revised.set(secret.id, parsed.content);
    return ok();
  }

  private secretContent(args: readonly string[]): { content: Bag; flags: Map<string, string> } | string {
    const flags = new Map<string, string>();
    const content: Bag = {};
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] ?? "";
      if (arg.startsWith("--")) {
        flags.set(arg, args[++i] ?? "");
        continue;
      }
      const file = /^([^#=]+)#file=(.+)$/.exec(arg);
      const plain = /^([^#=]+)=(.*)$/.exec(arg);
      const [key, value] = file ? [file[1] ?? "", readFileSync(file[2] ?? "", "utf8")] : plain ? [plain[1] ?? "", plain[2] ?? ""] : [arg, ""];
      if (!SECRET_KEY.test(key)) return `key "${key}" not valid`;
      if (value === "") return "empty secret value";
      content[key] = value;
    }
    return Object.keys(content).length === 0 ? "missing secret value or filename" : { content, flags };
  }

  private secretAdd(unit: string, args: readonly string[]): ToolOutcome {
    const parsed = this.secretContent(args);
    if (typeof parsed === "string") return fail(parsed);
    const { content, flags } = parsed;
    if ((flags.get("--owner") ?? "application") === "application" && this.leader !== unit) return fail("this unit is not the leader");
    const label = flags.get("--label");
    if (label !== undefined && this.visibleSecrets(unit).some((secret) => secret.label === label)) return fail("secret label already exists");
    const id = `secret:d${String(this.nextSecret++).padStart(19, "0")}`;
    this.pendingOf(unit).added.push({ id, app: appOf(unit), label, description: flags.get("--description"), content });
    return ok(`${id}\n`);
  }

  bag(relationId: string, unit: string): Bag {
    const relation = this.relations.get(relationId);
    if (!relation) throw new Error(`no relation ${relationId}`);
    let bag = relation.bags.get(unit);
    if (!bag) {
      // Juju fills in a unit's addresses in each of its relation bags (contract §3.1).
      const address = this.addresses.get(unit);
      bag = address ? { "private-address": address, "ingress-address": address, "egress-subnets": `${address}/32` } : {};
      relation.bags.set(unit, bag);
    }
    return bag;
  }

  /** The status history of a unit, oldest first. */
  statusOf(unit: string): { kind: string; message: string } | undefined {
    return this.statuses.get(unit)?.at(-1);
  }

  /** The hook tools as one unit sees them. */
  runner(unit: string): ToolRunner {
    return async (tool, args, stdin) => {
      this.calls.push({ unit, tool, args: [...args], stdin });
      return this.answer(
        unit,
        tool,
        args.filter((arg) => arg !== "--format=json"),
        stdin,
      );
    };
  }

  private answer(unit: string, tool: string, args: readonly string[], stdin: string | undefined): ToolOutcome {
    const relationArg = () => args[args.indexOf("-r") + 1] ?? "";
    switch (tool) {
      case "config-get":
        return json(this.config);
      case "is-leader":
        return json(this.leader === unit);
      case "leader-get":
        return json(this.leaderBag);
      case "leader-set":
        if (this.leader !== unit) return fail("cannot write leadership settings: not the leader");
        applyPairs(this.leaderBag, args);
        return ok();
      case "unit-get":
        return json(this.addresses.get(unit));
      case "relation-ids":
        return json([...this.relations].filter(([, r]) => r.endpoint === args[0]).map(([id]) => id));
      case "relation-list": {
        const relation = this.relations.get(relationArg());
        if (!relation) return fail("relation not found");
        return json(args.includes("--app") ? relation.remoteApp : relation.units.filter((u) => u !== unit));
      }
      case "relation-get": {
        const relation = this.relations.get(relationArg());
        if (!relation) return fail("relation not found");
        const owner = args.at(-1) ?? "";
        return json(args.includes("--app") ? (relation.bags.get(`app:${owner}`) ?? {}) : this.bag(relationArg(), owner));
      }
      case "relation-set": {
        const id = relationArg();
        if (!this.relations.has(id)) return fail("relation not found");
        const values = JSON.parse(stdin ?? "{}") as Bag;
        if (args.includes("--app") && this.leader !== unit) return fail("cannot write application settings: not the leader");
        const appKey = `app:${appOf(unit)}`;
        if (args.includes("--app") && !this.relations.get(id)?.bags.has(appKey)) this.relations.get(id)?.bags.set(appKey, {});
        applyPairs(
          args.includes("--app") ? (this.relations.get(id)?.bags.get(appKey) ?? {}) : this.bag(id, unit),
          Object.entries(values).map(([k, v]) => `${k}=${v}`),
        );
        return ok();
      }
      case "state-get": {
        const state = this.pendingState.get(unit) ?? this.unitState.get(unit) ?? {};
        return json(Object.keys(state).length > 0 ? state : null);
      }
      case "state-set": {
        const state = this.pendingState.get(unit) ?? { ...this.unitState.get(unit) };
        applyPairs(state, args);
        this.pendingState.set(unit, state);
        return ok();
      }
      case "status-set": {
        const rest = args.filter((a) => a !== "--application");
        const kind = rest[0] ?? "";
        const message = rest.slice(rest.indexOf("--") + 1).join(" ");
        this.statuses.set(unit, [...(this.statuses.get(unit) ?? []), { kind, message }]);
        return ok();
      }
      case "juju-log":
      case "action-log":
        this.logs.push(`${unit}: ${args.at(-1) ?? ""}`);
        return ok();
      case "application-version-set":
        return ok();
      case "action-get":
        return json({});
      case "action-set":
        applyPairs(this.actionResults, args);
        return ok();
      case "action-fail":
        this.actionFailure = args.at(-1);
        return ok();
      case "secret-add":
        return this.secretAdd(unit, args);
      case "secret-set":
        return this.secretSet(unit, args);
      case "secret-get": {
        const secret = this.findSecret(
          unit,
          args.filter((arg) => arg !== "--refresh" && arg !== "--peek"),
        );
        const revised = secret ? this.pending.get(unit)?.revised.get(secret.id) : undefined;
        return secret ? json(revised ?? secret.content) : fail(`secret "${args.at(-1) ?? ""}" not found`);
      }
      case "secret-info-get": {
        // Only the owner sees a secret's metadata: for an application's secret, its leader.
        const secret = this.leader === unit ? this.findSecret(unit, args) : undefined;
        if (!secret) return fail(`secret "${args.at(-1) ?? ""}" not found`);
        const info = { revision: 1, label: secret.label, owner: "application", description: secret.description, rotation: "never" };
        return json({ [secret.id.slice("secret:".length)]: info });
      }
      case "secret-remove": {
        const secret = this.findSecret(unit, args);
        if (!secret) return fail(`secret "${args[0] ?? ""}" not found`);
        if (this.leader !== unit) return fail("this unit is not the leader");
        this.pendingOf(unit).removed.add(secret.id);
        return ok();
      }
      default:
        return fail(`${tool}: not implemented by the fake`, 2);
    }
  }
}
