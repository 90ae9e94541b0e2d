import type { CharmSpec } from "./charm.js";
import { ModelError } from "./model-error.js";
import type { ModelState, RelationEndpoint, RelationState } from "./state.js";

/** `integrate` and `remove-relation`: which endpoints "a[:ep] b[:ep]" names, matched by interface and role as Juju matches them. */

export type EndpointPair = [RelationEndpoint, RelationEndpoint];

/** Every provider/requirer pair of the two applications' endpoints that share an interface (peers never match). */
export async function matchEndpoints(charmOf: (app: string) => Promise<CharmSpec>, first: string, second: string): Promise<EndpointPair[]> {
  const ends = async (text: string) => {
    const [appName = "", endpoint] = text.split(":");
    const charm = await charmOf(appName);
    return Object.entries(charm.endpoints)
      .filter(([name, spec]) => spec.role !== "peer" && (endpoint === undefined || name === endpoint))
      .map(([name, spec]): RelationEndpoint => ({ app: appName, endpoint: name, role: spec.role, interface: spec.interface }));
  };
  const left = await ends(first);
  const right = await ends(second);
  if (first.split(":")[0] === second.split(":")[0]) throw new ModelError("cannot relate an application to itself");
  const pairs: EndpointPair[] = [];
  for (const a of left) {
    for (const b of right) {
      if (a.interface === b.interface && a.role !== b.role) pairs.push([a, b]);
    }
  }
  return pairs;
}

/** The one pair the operator meant, or why there is none. */
export function onlyPair(pairs: readonly EndpointPair[], first: string, second: string): EndpointPair {
  const [pair, ...others] = pairs;
  if (!pair) throw new ModelError(`no relations found between "${first}" and "${second}"`);
  if (others.length > 0) {
    const list = pairs.map(([a, b]) => `${a.app}:${a.endpoint} ${b.app}:${b.endpoint}`).join(", ");
    throw new ModelError(`ambiguous relation: "${first} ${second}" could refer to ${list}`);
  }
  return pair;
}

export function findRelation(state: ModelState, [a, b]: EndpointPair): RelationState | undefined {
  const key = (end: RelationEndpoint) => `${end.app}:${end.endpoint}`;
  return Object.values(state.relations).find(
    (relation) =>
      relation.endpoints.length === 2 && relation.endpoints.some((end) => key(end) === key(a)) && relation.endpoints.some((end) => key(end) === key(b)),
  );
}

export function addRelation(state: ModelState, endpoints: RelationEndpoint[]): RelationState {
  const relation: RelationState = { id: state.nextRelationId++, endpoints, life: "alive", scope: [], unitData: {}, appData: {} };
  state.relations[String(relation.id)] = relation;
  return relation;
}

export function describeRelation(relation: RelationState): string {
  return relation.endpoints.map((end) => `${end.app}:${end.endpoint}`).join(" ");
}
