import { describe, expect, it } from "vitest";
import { FlagSet, parseKeyValues, UsageError } from "../../../local-model/tools/flags.js";
import { FakeHookContext } from "./fake-context.js";
import { ok, usageError } from "./tool-results.js";

/** A relation hook for db:3, remote unit kube/0, with one other relation db:4. */
function relationHook(): FakeHookContext {
  return new FakeHookContext({
    hookName: "db-relation-changed",
    relationId: 3,
    remoteUnit: "kube/0",
    remoteApp: "kube",
    relations: [
      { id: 3, endpoint: "db", remoteApp: "kube", members: ["kube/0"], unitData: { "kube/0": { host: "k0" } }, appData: { kube: { mode: "ha" } } },
      { id: 4, endpoint: "db", remoteApp: "pg", members: ["pg/0"], unitData: { "pg/0": { host: "p0" } } },
    ],
  });
}

describe("gnuflag parsing (§2.2)", () => {
  it("accepts flags interspersed with positionals, as ops calls relation-ids db --format=json (§2.2)", () => {
    const ctx = relationHook();
    expect(ctx.run("relation-ids", "db", "--format=json")).toEqual(ok('["db:3","db:4"]\n'));
    expect(ctx.run("relation-ids", "--format=json", "db")).toEqual(ok('["db:3","db:4"]\n'));
  });

  it("takes a long option's value as --x=y or as the next argument (§2.2)", () => {
    const ctx = relationHook();
    expect(ctx.run("relation-get", "--format", "json", "host")).toEqual(ok('"k0"\n'));
    expect(ctx.run("relation-get", "--format=json", "host")).toEqual(ok('"k0"\n'));
  });

  it("knows the short aliases -r, -o, -a and -l (§2.2)", () => {
    const ctx = relationHook();
    expect(ctx.run("relation-get", "-r", "4", "host", "pg/0")).toEqual(ok("p0\n"));
    expect(ctx.run("relation-get", "-r4", "host", "pg/0")).toEqual(ok("p0\n"));
    expect(ctx.run("config-get", "-a", "--format=json")).toEqual(ok("{}\n"));
    expect(ctx.run("juju-log", "-l", "ERROR", "boom")).toEqual(ok());
    expect(ctx.logs.at(-1)).toEqual({ level: "ERROR", message: "db:3: boom" });
  });

  it("reads grouped single-letter options one rune at a time, the last taking the next argument (§2.2)", () => {
    const flags = new FlagSet();
    const all = flags.bool(["a"], "");
    const relation = flags.string(["r"], "", "");
    expect(flags.parse(["-ar", "db:3", "x"])).toEqual({ help: false, positionals: ["x"] });
    expect(all.value).toBe(true);
    expect(relation.value).toBe("db:3");
  });

  it("ends option parsing at --, so values starting with - are positionals (§2.2)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("status-set", "--application=False", "active", "--", "-starts with a dash")).toEqual(ok());
    expect(ctx.unitStatusValue).toEqual({ status: "active", message: "-starts with a dash", data: {} });
    expect(ctx.run("application-version-set", "--", "--weird")).toEqual(ok());
    expect(ctx.workloadVersion).toBe("--weird");
  });

  it("gives a short bool option a value only through a later long form: -a=true is not ParseBool-able (§2.2)", () => {
    expect(new FakeHookContext().run("config-get", "-a=true")).toEqual(
      usageError('invalid value "=true" for option -a: strconv.ParseBool: parsing "=true": invalid syntax'),
    );
    expect(new FakeHookContext().run("config-get", "--all=true", "--format=json")).toEqual(ok("{}\n"));
  });

  it("rejects an option with an empty name (§2.2)", () => {
    expect(new FakeHookContext().run("is-leader", "--=x")).toEqual(usageError('empty option in argument "--=x"'));
  });

  it("treats a lone - and an empty string as positionals (§2.2)", () => {
    const flags = new FlagSet();
    expect(flags.parse(["-", ""])).toEqual({ help: false, positionals: ["-", ""] });
  });

  it.each(["1", "t", "T", "TRUE", "true", "True"])("accepts --application=%s as true, Go ParseBool (§2.2)", (value) => {
    const ctx = new FakeHookContext({ leader: true });
    expect(ctx.run("status-set", `--application=${value}`, "blocked", "app msg")).toEqual(ok());
    expect(ctx.applicationStatusValue).toEqual({ status: "blocked", message: "app msg", data: {} });
  });

  it.each(["0", "f", "F", "FALSE", "false", "False"])("accepts --application=%s as false, Go ParseBool (§2.2)", (value) => {
    const ctx = new FakeHookContext({ leader: true });
    expect(ctx.run("status-set", `--application=${value}`, "blocked", "unit msg")).toEqual(ok());
    expect(ctx.unitStatusValue.message).toBe("unit msg");
    expect(ctx.applicationStatusValue.status).toBe("unknown");
  });

  it("rejects a bool value Go cannot parse: usage error, exit 2 (§2.2)", () => {
    expect(new FakeHookContext().run("status-get", "--application=yes")).toEqual(
      usageError('invalid value "yes" for option --application: strconv.ParseBool: parsing "yes": invalid syntax'),
    );
  });

  it("never takes a bool flag's value from the next argument (§2.2)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("status-set", "--application", "false")).toEqual(usageError('invalid status "false", expected one of [maintenance blocked waiting active]'));
  });

  it("rejects an unknown long or short option: `option provided but not defined`, exit 2 (§2.2)", () => {
    const ctx = new FakeHookContext();
    expect(ctx.run("is-leader", "--foo")).toEqual(usageError("option provided but not defined: --foo"));
    expect(ctx.run("is-leader", "--foo=bar")).toEqual(usageError("option provided but not defined: --foo"));
    expect(ctx.run("is-leader", "-x")).toEqual(usageError("option provided but not defined: -x"));
    expect(ctx.run("leader-set", "--format=json", "a=b")).toEqual(usageError("option provided but not defined: --format"));
  });

  it("reports an option missing its value (§2.2)", () => {
    expect(new FakeHookContext().run("is-leader", "--format")).toEqual(usageError("option needs an argument: --format"));
    expect(new FakeHookContext().run("config-get", "-o")).toEqual(usageError("option needs an argument: -o"));
  });

  it("rejects extra positionals: `unrecognized args` with Go's %q list, exit 2 (§2.2)", () => {
    expect(new FakeHookContext().run("is-leader", "x", "y z")).toEqual(usageError('unrecognized args: ["x" "y z"]'));
  });

  it("stops at the first bad option, so a later -h is not seen (§2.2)", () => {
    expect(new FakeHookContext().run("is-leader", "--nope", "-h")).toEqual(usageError("option provided but not defined: --nope"));
  });
});

describe("help (§2.2)", () => {
  it("prints help on stdout with exit 0 for -h and --help, before Init runs (§2.2)", () => {
    const ctx = new FakeHookContext();
    const help = ctx.run("status-set", "--help");
    expect(help).toEqual(
      ok(
        [
          "Usage: status-set [options] <maintenance | blocked | waiting | active> [message]",
          "",
          "Summary:",
          "set status information",
          "",
          "Options:",
          "--application  (= false)",
          "    set this status for the application to which the unit belongs if the unit is the leader",
          "",
        ].join("\n"),
      ),
    );
    expect(ctx.run("status-set", "-h")).toEqual(help);
  });

  it("groups aliases, quotes string defaults and shows the hook's relation as -r's default (§2.2)", () => {
    expect(relationHook().run("relation-list", "-h").stdout).toBe(
      [
        "Usage: relation-list [options]",
        "",
        "Summary:",
        "list relation units",
        "",
        "Options:",
        "--app  (= false)",
        "    List remote application instead of participating units",
        "--format  (= smart)",
        "    Specify output format (json|smart|yaml)",
        '-o, --output (= "")',
        "    Specify an output file",
        "-r, --relation  (= db:3)",
        "    Specify a relation by id",
        "",
      ].join("\n"),
    );
  });

  it("omits [options] for a tool without options (§2.2)", () => {
    expect(new FakeHookContext().run("leader-set", "--help").stdout).toBe(
      "Usage: leader-set <key>=<value> [...]\n\nSummary:\nWrite application leadership settings.\n",
    );
  });
});

describe("-r/--relation values (§2.2)", () => {
  it.each(["4", "db:4", "anything:4", "a:b:4", "+4"])("reads the id after the last colon of %s (§2.2)", (value) => {
    expect(relationHook().run("relation-list", "-r", value)).toEqual(ok("pg/0\n"));
  });

  it("rejects a non-integer id: `invalid relation id`, exit 2 (§2.2)", () => {
    const ctx = relationHook();
    expect(ctx.run("relation-list", "-r", "x")).toEqual(usageError('invalid value "x" for option -r: invalid relation id'));
    expect(ctx.run("relation-list", "-r", "db:")).toEqual(usageError('invalid value "db:" for option -r: invalid relation id'));
    expect(ctx.run("relation-list", "--relation=db:x")).toEqual(usageError('invalid value "db:x" for option --relation: invalid relation id'));
  });

  it("rejects an unknown id: `relation not found`, exit 2 (§2.2)", () => {
    const ctx = relationHook();
    expect(ctx.run("relation-get", "-r", "db:99")).toEqual(usageError('invalid value "db:99" for option -r: relation not found'));
    expect(ctx.run("relation-get", "--relation", "99")).toEqual(usageError('invalid value "99" for option --relation: relation not found'));
  });

  it("defaults to the hook's relation, and without one fails in Init: `no relation id specified` (§2.2)", () => {
    expect(relationHook().run("relation-list")).toEqual(ok("kube/0\n"));
    const ctx = new FakeHookContext({ relations: [{ id: 3, endpoint: "db", remoteApp: "kube" }] });
    expect(ctx.run("relation-list")).toEqual(usageError("no relation id specified"));
    expect(ctx.run("relation-get")).toEqual(usageError("no relation id specified"));
    expect(ctx.run("relation-set", "a=b")).toEqual(usageError("no relation id specified"));
    expect(ctx.run("relation-model-get")).toEqual(usageError("no relation id specified"));
  });
});

describe("key=value arguments (§2.2)", () => {
  it("splits on the first = and trims spaces around key and value; an empty value is allowed (§2.2)", () => {
    expect([...parseKeyValues(["a=b=c", " k = v ", "empty="])]).toEqual([
      ["a", "b=c"],
      ["k", "v"],
      ["empty", ""],
    ]);
  });

  it('rejects an argument without =: `expected "key=value", got "x"` (§2.2)', () => {
    expect(() => parseKeyValues(["x"])).toThrow(new UsageError('expected "key=value", got "x"'));
    expect(new FakeHookContext().run("leader-set", "x")).toEqual(usageError('expected "key=value", got "x"'));
  });

  it("rejects an empty key, showing the trimmed pair (§2.2)", () => {
    expect(new FakeHookContext().run("state-set", " = v")).toEqual(usageError('expected "key=value", got "=v"'));
  });

  it('rejects a duplicate key: `key "k" specified more than once` (§2.2)', () => {
    expect(relationHook().run("relation-set", "k=1", "k=2")).toEqual(usageError('key "k" specified more than once'));
  });
});
