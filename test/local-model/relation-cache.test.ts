import { describe, expect, it } from "vitest";
import { RelationCache } from "../../local-model/relation-cache.js";

/** A unit agent's relation cache across its hooks, as contract §3.1 describes Juju's (`context/cache.go`). */
describe("the relation cache", () => {
  /** The committed bags, which other units' commits change between and during hooks. */
  const committed: Record<string, Record<string, string>> = {};
  const reader = (key: string) => () => committed[key] ?? {};
  const members = (...names: string[]) => new Map([[3, new Set(names)]]);

  it("serves a remote unit's settings, once read, until a hook about that unit; application settings once per hook", () => {
    const cache = new RelationCache();
    committed["db/0"] = { v: "1" };
    committed.db = { a: "1" };
    cache.prune(members("db/0"), { name: "config-changed" });
    expect(cache.unitSettings(3, "db/0", reader("db/0"))).toEqual({ v: "1" });
    expect(cache.appSettings(3, "db", reader("db"))).toEqual({ a: "1" });

    // db/0 and db commit: the running hook still sees what it read.
    committed["db/0"] = { v: "2" };
    committed.db = { a: "2" };
    expect(cache.unitSettings(3, "db/0", reader("db/0"))).toEqual({ v: "1" });
    expect(cache.appSettings(3, "db", reader("db"))).toEqual({ a: "1" });

    // The next hook, not about db/0: the unit's settings come from the cache, the application's afresh.
    cache.prune(members("db/0"), { name: "update-status" });
    expect(cache.unitSettings(3, "db/0", reader("db/0"))).toEqual({ v: "1" });
    expect(cache.appSettings(3, "db", reader("db"))).toEqual({ a: "2" });

    // A hook about db/0 reads it afresh.
    cache.prune(members("db/0"), { name: "db-relation-changed", relationId: 3, remoteUnit: "db/0" });
    expect(cache.unitSettings(3, "db/0", reader("db/0"))).toEqual({ v: "2" });
  });

  it("drops the settings of units that are no longer members, and hands out copies", () => {
    const cache = new RelationCache();
    committed["db/1"] = { v: "1" };
    cache.prune(members("db/1"), { name: "start" });
    const read = cache.unitSettings(3, "db/1", reader("db/1"));
    read.v = "changed by the caller";
    expect(cache.unitSettings(3, "db/1", reader("db/1"))).toEqual({ v: "1" });
    committed["db/1"] = { v: "2" };
    cache.prune(members(), { name: "update-status" });
    expect(cache.unitSettings(3, "db/1", reader("db/1"))).toEqual({ v: "2" });
  });
});
