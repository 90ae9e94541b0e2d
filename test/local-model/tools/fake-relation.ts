import { ToolRunError, type Databag, type HookToolContext, type RelationView } from "../../../local-model/tools/types.js";

/**
 * A relation of the fake hook context: its members and committed databags are set up by the test, and
 * the hook's writes are buffered for the test to inspect. Reads follow the interface's permission rules
 * (§3.1): units outside the relation and other applications' bags the unit may not see are "permission
 * denied".
 */

/** What a relation needs of the context it belongs to. */
type RelationOwner = Pick<HookToolContext, "unit" | "app" | "modelUuid" | "isLeader">;

export interface FakeRelationSetup {
  readonly id: number;
  readonly endpoint: string;
  readonly remoteApp: string;
  readonly isPeer?: boolean;
  readonly broken?: boolean;
  readonly remoteModelUuid?: string;
  readonly members?: readonly string[];
  /** Committed unit databags, this unit's own included. */
  readonly unitData?: Readonly<Record<string, Databag>>;
  /** Committed application databags. */
  readonly appData?: Readonly<Record<string, Databag>>;
}

export class FakeRelation implements RelationView {
  readonly id: number;
  readonly endpoint: string;
  readonly isPeer: boolean;
  readonly remoteApp: string;
  readonly broken: boolean;
  readonly remoteModelUuid: string;
  /** This hook's buffered writes, as the model would commit them. */
  readonly pendingUnit: Databag = {};
  readonly pendingApp: Databag = {};
  private readonly memberNames: readonly string[];
  private readonly unitData: Readonly<Record<string, Databag>>;
  private readonly appData: Readonly<Record<string, Databag>>;

  constructor(
    private readonly ctx: RelationOwner,
    setup: FakeRelationSetup,
  ) {
    this.id = setup.id;
    this.endpoint = setup.endpoint;
    this.isPeer = setup.isPeer ?? false;
    this.remoteApp = setup.remoteApp;
    this.broken = setup.broken ?? false;
    this.remoteModelUuid = setup.remoteModelUuid ?? ctx.modelUuid;
    this.memberNames = setup.members ?? [];
    this.unitData = setup.unitData ?? {};
    this.appData = setup.appData ?? {};
  }

  members(): string[] {
    return [...this.memberNames].sort();
  }

  readUnit(unit: string): Databag {
    if (unit === this.ctx.unit) return applyPending(this.unitData[unit] ?? {}, this.pendingUnit);
    const app = unit.split("/")[0];
    if (app !== this.remoteApp && !(this.isPeer && app === this.ctx.app)) throw new ToolRunError("permission denied");
    return { ...(this.unitData[unit] ?? {}) };
  }

  readApp(app: string): Databag {
    if (app === this.ctx.app) {
      if (this.ctx.isLeader()) return applyPending(this.appData[app] ?? {}, this.pendingApp);
      if (!this.isPeer) throw new ToolRunError("permission denied");
    } else if (app !== this.remoteApp) {
      throw new ToolRunError("permission denied");
    }
    return { ...(this.appData[app] ?? {}) };
  }

  writeUnit(changes: Databag): void {
    Object.assign(this.pendingUnit, changes);
  }

  writeApp(changes: Databag): void {
    Object.assign(this.pendingApp, changes);
  }
}

/** The committed bag with this hook's writes applied: "" deletes a key. */
export function applyPending(committed: Databag, pending: Databag): Databag {
  const merged = { ...committed, ...pending };
  for (const [key, value] of Object.entries(pending)) if (value === "") delete merged[key];
  return merged;
}
