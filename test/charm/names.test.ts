import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { repoRoot } from "../../scripts/build.js";
import { ACTION_HANDLERS, HOOK_HANDLERS } from "../../src/dispatch.js";
import { ACTIONS, CLUSTER_ENDPOINT, CONSUMER_ENDPOINTS, HANDLED_HOOKS } from "../../src/names.js";

const yamlOf = async (file: string) => parseYaml(await readFile(path.join(repoRoot, file), "utf8")) as Record<string, unknown>;

describe("the names the charm shares with Juju are written once and match its metadata", () => {
  it("the peer endpoint and the consumer endpoints are metadata.yaml's peers and provides", async () => {
    const metadata = (await yamlOf("metadata.yaml")) as { peers: Record<string, unknown>; provides: Record<string, unknown> };
    expect(Object.keys(metadata.peers)).toEqual([CLUSTER_ENDPOINT]);
    expect(Object.keys(metadata.provides).sort()).toEqual([...CONSUMER_ENDPOINTS].sort());
  });

  it("the actions are actions.yaml's, each with a handler and a shim in actions/", async () => {
    expect(Object.keys(await yamlOf("actions.yaml")).sort()).toEqual([...ACTIONS].sort());
    expect(Object.keys(ACTION_HANDLERS).sort()).toEqual([...ACTIONS].sort());
    expect((await readdir(path.join(repoRoot, "actions"))).sort()).toEqual([...ACTIONS].sort());
  });

  it("hooks/ has a shim for exactly the handled hooks, and each has a handler", async () => {
    expect((await readdir(path.join(repoRoot, "hooks"))).sort()).toEqual([...HANDLED_HOOKS].sort());
    expect(Object.keys(HOOK_HANDLERS).sort()).toEqual([...HANDLED_HOOKS].sort());
  });

  it("every relation hook the charm handles belongs to an endpoint in metadata.yaml", async () => {
    const metadata = (await yamlOf("metadata.yaml")) as {
      peers: Record<string, unknown>;
      provides: Record<string, unknown>;
      requires: Record<string, unknown>;
    };
    const endpoints = new Set([...Object.keys(metadata.peers), ...Object.keys(metadata.provides), ...Object.keys(metadata.requires)]);
    const relationHooks = HANDLED_HOOKS.filter((hook) => hook.includes("-relation-"));
    expect(relationHooks.filter((hook) => !endpoints.has(hook.slice(0, hook.indexOf("-relation-"))))).toEqual([]);
  });
});
