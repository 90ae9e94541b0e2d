import path from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { repoRoot } from "../../scripts/build.js";
import { LocalModelFixture, testCharm } from "./harness.js";

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

describe("local-model run: actions as `juju run` (contract §1.4, §3.13, §6.5)", () => {
  let model: LocalModelFixture;
  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.12", 9);
    await model.ok("deploy", testCharm("recorder"));
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("runs the action with validated params and defaults, shaped like `juju run --format=json`", async () => {
    const out = JSON.parse(await model.ok("run", "recorder/0", "echo", "text=hi there", "--format=json"));
    expect(out).toEqual({
      "recorder/0": {
        id: expect.stringMatching(/^[0-9]+$/),
        results: { echoed: "hi there", times: "1", nested: { unit: "recorder/0" }, "return-code": 0, stdout: "stdout:hi there\n" },
        status: "completed",
        timing: { enqueued: expect.any(String), started: expect.any(String), completed: expect.any(String) },
        unit: "recorder/0",
        log: ["echoing 1 time(s)"],
      },
    });
  });

  it("<application>/leader runs on the application's leader, and the results name that unit", async () => {
    const out = JSON.parse(await model.ok("run", "recorder/leader", "echo", "text=leader", "--format=json"));
    expect(Object.keys(out)).toEqual(["recorder/0"]);
    expect(out["recorder/0"]).toMatchObject({ status: "completed", unit: "recorder/0", results: { echoed: "leader" } });
    const unknown = await model.run("run", "nothing/leader", "echo", "text=x");
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('application "nothing" not found');
  });

  it("the plain form prints the results as YAML", async () => {
    const out = await model.ok("run", "recorder/0", "echo", "text=plain", "times=2");
    expect(out).toMatch(/\nstdout:plain$/);
    expect(parseYaml(out.replace(/stdout:plain$/, ""))).toEqual({ echoed: "plain", times: "2", nested: { unit: "recorder/0" } });
  });

  it.each([
    [["echo"], /validation failed: .*must have required property 'text'/],
    [["echo", "text=x", "times=0"], /validation failed: \/times must be >= 1/],
    [["echo", "text=x", "colour=red"], /validation failed: .*must NOT have additional properties \(colour\)/],
    [["nope"], /action "nope" not defined on unit "recorder\/0"/],
  ])("refuses bad params before running anything: %j", async (args, message) => {
    const result = await model.run("run", "recorder/0", ...args);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(message);
  });

  it("an action that calls action-fail is failed with its message; a non-zero exit is failed with the exit status", async () => {
    const failed = await model.run("run", "recorder/0", "exec", "command=action-fail 'not today'", "--format=json");
    expect(failed.exitCode).toBe(1);
    expect(JSON.parse(failed.stdout)["recorder/0"]).toMatchObject({ status: "failed", message: "not today" });
    const crashed = await model.run("run", "recorder/0", "exec", "command=echo oops >&2; exit 3", "--format=json");
    expect(JSON.parse(crashed.stdout)["recorder/0"]).toMatchObject({
      status: "failed",
      message: "exit status 3",
      results: { "return-code": 3, stderr: "oops\n" },
    });
    // A failing action does not put the unit in error.
    expect((await model.status()).applications.recorder!.units!["recorder/0"]!["juju-status"].current).toBe("idle");
  });
});

describe("status, config and model-config", () => {
  let model: LocalModelFixture;
  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.13", 11);
    await model.ok("deploy", testCharm("recorder"), "-n", "3", "--config", "greeting=hey");
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("status --format=json has juju status's shape", async () => {
    const status = await model.status();
    expect(status.model).toMatchObject({ type: "iaas" });
    const app = status.applications.recorder!;
    expect(app["application-status"].current).toBe("unknown");
    expect(Object.keys(app.units!)).toEqual(["recorder/0", "recorder/1", "recorder/2"]);
    expect(Object.values(app.units!).filter((u) => u.leader)).toHaveLength(1);
    for (const unit of Object.values(app.units!)) {
      expect(unit["juju-status"].current).toBe("idle");
      expect(unit["workload-status"].current).toBe("unknown");
      expect(unit["public-address"]).toMatch(/^127\.0\.13\.1[1-3]$/);
    }
    // Machines are numbered as Juju numbers them, and `since` is printed as Juju prints it (issue 11, item 4).
    expect(Object.values(app.units!).map((u) => u.machine)).toEqual(["0", "1", "2"]);
    expect(Object.keys(status.machines)).toEqual(["0", "1", "2"]);
    expect(app.units!["recorder/0"]!["workload-status"].since).toMatch(/^\d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\dZ$/);
    expect(app.relations).toEqual({ ring: [{ "related-application": "recorder", interface: "recorder-ring", scope: "global" }] });
  });

  it("the plain status is a readable table with the leader starred", async () => {
    const table = await model.ok("status");
    expect(table).toMatch(/^App\s+Version\s+Status\s+Scale\s+Charm/m);
    expect(table).toMatch(/^recorder\s+unknown\s+3\s+recorder/m);
    expect(table.match(/^recorder\/[0-2]\*/gm)).toHaveLength(1);
    expect(table).toMatch(/^recorder:ring\s+recorder:ring\s+recorder-ring\s+peer/m);
  });

  it("config shows values with their source, sets typed values and resets them", async () => {
    const shown = parseYaml(await model.ok("config", "recorder")) as { settings: Record<string, { value?: unknown; source: string }> };
    expect(shown.settings.greeting).toMatchObject({ value: "hey", source: "user" });
    expect(shown.settings.count).toMatchObject({ value: 3, source: "default" });
    expect(shown.settings["unset-option"]).not.toHaveProperty("value");
    expect((await model.ok("config", "recorder", "greeting")).trim()).toBe("hey");
    const bad = await model.run("config", "recorder", "count=many");
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/option "count" expected int, got "many"/);
    const unknown = await model.run("config", "recorder", "colour=red");
    expect(unknown.stderr).toMatch(/unknown option "colour"/);
    await model.ok("config", "recorder", "--reset", "greeting");
    expect((await model.ok("config", "recorder", "greeting")).trim()).toBe("hello");
  });

  it("model-config shows and sets the update-status interval, which then drives update-status", async () => {
    expect(await model.ok("model-config")).toMatch(/update-status-hook-interval\s+5m\nautomatically-retry-hooks\s+true/);
    await model.ok("model-config", "update-status-hook-interval=1s");
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await model.ok("model-config", "update-status-hook-interval=1h");
    const runs = await model.hookRuns("recorder/0");
    expect(runs.filter((r) => r.hook === "update-status").length).toBeGreaterThanOrEqual(1);
    const bad = await model.run("model-config", "update-status-hook-interval=soon");
    expect(bad.stderr).toMatch(/invalid duration "soon"/);
  });
});

describe("with --scheduling rounds, units run concurrently and a seed replays the same run", () => {
  const runModel = async (subnet: string, seed: number) => {
    const model = await LocalModelFixture.create(subnet, seed, ["--scheduling", "rounds"]);
    await model.ok("deploy", testCharm("recorder"), "-n", "3", "--config", "write-on-join=true");
    const runs = await model.hookRuns();
    const status = await model.status();
    await model.destroy();
    const leader = Object.entries(status.applications.recorder!.units!).find(([, u]) => u.leader)![0];
    return { runs, leader };
  };

  it("the same seed gives the same leader and the same order of hook runs; units' hooks overlap in time", async () => {
    const [first, second] = await Promise.all([runModel("127.0.72", 1234), runModel("127.0.73", 1234)]);
    const order = (runs: typeof first.runs) => runs.map((r) => `${r.unit} ${r.hook} ${r.env.JUJU_REMOTE_UNIT ?? ""}`);
    expect(second.leader).toBe(first.leader);
    expect(order(second.runs)).toEqual(order(first.runs));
    // The three installs ran at the same time, one per unit (Juju's unit agents are independent).
    const installs = first.runs
      .filter((r) => r.hook === "install")
      .map((r) => {
        const start = Date.parse(r.entry.time);
        return { start, end: start + r.entry.durationMs };
      });
    expect(installs).toHaveLength(3);
    const latestStart = Math.max(...installs.map((i) => i.start));
    const earliestEnd = Math.min(...installs.map((i) => i.end));
    expect(latestStart).toBeLessThanOrEqual(earliestEnd);
  });
});

describe("local-model exec: a command in a hook context, as `juju exec`", () => {
  let model: LocalModelFixture;
  beforeAll(async () => {
    model = await LocalModelFixture.create("127.0.17", 2);
    await model.ok("deploy", testCharm("recorder"), "-n", "2");
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("hook tools work, there is no hook name, and a relation context sets the relation's variables", async () => {
    expect(await model.ok("exec", "--unit", "recorder/0", "--", 'echo "hook=[$JUJU_HOOK_NAME]"; relation-ids ring')).toBe("hook=[]\nring:0");
    const inRelation = await model.ok(
      "exec",
      "--unit",
      "recorder/0",
      "-r",
      "ring:0",
      "--remote-unit",
      "recorder/1",
      "--",
      "echo $JUJU_RELATION_ID $JUJU_REMOTE_UNIT; relation-get - | grep private-address",
    );
    expect(inRelation).toBe("ring:0 recorder/1\nprivate-address: 127.0.17.12");
  });

  it("its relation-set commits when it exits 0 and is discarded when it fails (§1.4)", async () => {
    const failed = await model.run("exec", "--unit", "recorder/1", "--", "relation-set -r ring:0 lost=yes; exit 4");
    expect(failed.exitCode).toBe(4);
    await model.ok("exec", "--unit", "recorder/1", "--", "relation-set -r ring:0 kept=yes");
    // recorder/0 read recorder/1's bag in an earlier exec: its relation cache serves that until its
    // relation-changed hook about recorder/1 has run (contract §3.1), so wait for that hook.
    await model.ok("wait");
    const seen = await model.ok("exec", "--unit", "recorder/0", "--", "relation-get -r ring:0 - recorder/1 --format=json");
    expect(JSON.parse(seen)).toMatchObject({ kept: "yes" });
    expect(JSON.parse(seen)).not.toHaveProperty("lost");
  });

  it("the debug log names the tools each run called", async () => {
    const [last] = (await model.debugLog()).slice(-1);
    expect(last).toMatchObject({ kind: "exec", tools: ["relation-get"] });
  });

  it("hook tools carry every byte of their arguments, of stdin (--file -), stdout and stderr (§2.1)", async () => {
    const awkward = `it's "quoted" \\ back\tslash $HOME \`x\` ü€ 🙂`;
    const script = [
      `relation-set -r ring:0 ${shellQuote(`argv=${awkward}`)}`,
      `printf 'stdin: "two\\\\nlines ü"\\n' | relation-set -r ring:0 --file -`,
      "relation-get -r ring:0 --format=json - recorder/1",
      "relation-get -r ring:99 - recorder/0; echo rc=$?",
    ].join("; ");
    const result = await model.run("exec", "--unit", "recorder/1", "--", script);
    const [bag, rc] = result.stdout.split("\n");
    expect(JSON.parse(bag!)).toMatchObject({ argv: awkward, stdin: "two\nlines ü" });
    expect(rc).toBe("rc=2");
    expect(result.stderr).toContain('ERROR invalid value "ring:99" for option -r: relation not found');
  });
});

describe("the CLI's bundle (bin/local-model.mjs)", () => {
  /** The source files the CLI's entry chunk loads before any dynamic import, bundled as the bin script bundles it. */
  async function staticClosure(): Promise<string[]> {
    const { metafile } = await build({
      entryPoints: [path.join(repoRoot, "local-model", "cli.ts")],
      outdir: path.join(repoRoot, "local-model", ".bundle", "metafile-only"),
      bundle: true,
      splitting: true,
      write: false,
      metafile: true,
      platform: "node",
      format: "esm",
      packages: "external",
      logLevel: "silent",
    });
    const { outputs } = metafile;
    const entry = Object.keys(outputs).find((name) => outputs[name]?.entryPoint?.endsWith("local-model/cli.ts"));
    const chunks = new Set<string>();
    for (const queue = entry ? [entry] : []; queue.length > 0; ) {
      const chunk = queue.pop()!;
      if (chunks.has(chunk)) continue;
      chunks.add(chunk);
      for (const imported of outputs[chunk]!.imports) if (imported.kind === "import-statement" && !imported.external) queue.push(imported.path);
    }
    return [...chunks].flatMap((chunk) => Object.keys(outputs[chunk]!.inputs)).sort();
  }

  it("loads the verb table but none of the controller's code: that loads only in the controller process", async () => {
    const files = await staticClosure();
    expect(files).toContain("local-model/verbs.ts");
    expect(
      files.filter((file) => /local-model\/(daemon|controller|model|hook-run|hook-context|action-queue|status)\.ts$|local-model\/(tools|systemd)\//.test(file)),
    ).toEqual([]);
  });
});
