/** Looking up the relations a hook sees, and naming them as Juju does (`<endpoint>:<id>`, the "FakeId"). */
import { ToolRunError, type HookToolContext, type RelationView } from "./types.js";

export function fakeId(relation: RelationView): string {
  return `${relation.endpoint}:${relation.id}`;
}

/** The relation of a relation hook; undefined in other hooks. */
export function hookRelation(ctx: HookToolContext): RelationView | undefined {
  return ctx.relationId === undefined ? undefined : ctx.relations().find((relation) => relation.id === ctx.relationId);
}

/** ctx.Relation(id) at Run time; `-r` was validated at parse time, so this fails only for a vanished relation. */
export function relationById(ctx: HookToolContext, id: number): RelationView {
  const relation = ctx.relations().find((candidate) => candidate.id === id);
  if (relation === undefined) throw new ToolRunError("relation not found");
  return relation;
}
