/** Dotted keys nest, as in Juju's action parameters and results: "a.b=1" is { a: { b: 1 } }. */

/** Sets a value at a dotted path ("a.b" is { a: { b: … } }), creating the objects on the way. */
export function setDotted(root: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  const last = keys.at(-1) ?? dotted;
  let node = root;
  for (const key of keys.slice(0, -1)) {
    const child = node[key];
    if (isObject(child)) {
      node = child;
    } else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  node[last] = value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
