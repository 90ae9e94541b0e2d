import type { ToolOutcome, ToolRunner } from "../../../src/juju/runner.js";

/**
 * Juju's side of a model, in memory: config, leadership, leader settings, relations and their bags, unit
 * state, status and logs, answered through the same hook-tool argv and JSON the real tools use (contract
 * §3), so the charm's typed client runs unchanged. Every call is recorded. Writes apply at once (a fake
 * has no hook transaction to commit).
 */

export interface ToolCall {
  readonly unit: string;
  readonly tool: string;
  readonly args: readonly string[];
  readonly stdin: string | undefined;
}

interface Relation {
  readonly endpoint: string;
  /** Units on this relation: for the peer relation the application's units, else the remote units. */
  units: string[];
  readonly bags: Map<string, Record<string, string>>;
}

type Bag = Record<string, string>;

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
  private nextRelationId = 1;

  addUnit(unit: string, address: string): void {
    this.addresses.set(unit, address);
    this.unitState.set(unit, {});
    if (!this.leader) this.leader = unit;
  }

  addRelation(endpoint: string, units: string[]): string {
    const id = `${endpoint}:${this.nextRelationId++}`;
    this.relations.set(id, { endpoint, units, bags: new Map() });
    return id;
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
        return relation ? json(relation.units.filter((u) => u !== unit)) : fail("relation not found");
      }
      case "relation-get": {
        const relation = this.relations.get(relationArg());
        return relation ? json(this.bag(relationArg(), args.at(-1) ?? "")) : fail("relation not found");
      }
      case "relation-set": {
        const id = relationArg();
        if (!this.relations.has(id)) return fail("relation not found");
        const values = JSON.parse(stdin ?? "{}") as Bag;
        applyPairs(
          this.bag(id, unit),
          Object.entries(values).map(([k, v]) => `${k}=${v}`),
        );
        return ok();
      }
      case "state-get": {
        const state = this.unitState.get(unit) ?? {};
        return json(Object.keys(state).length > 0 ? state : null);
      }
      case "state-set":
        applyPairs(this.unitState.get(unit) ?? {}, args);
        return ok();
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
      default:
        return fail(`${tool}: not implemented by the fake`, 2);
    }
  }
}
