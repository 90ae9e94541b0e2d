import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatJson, formatSmart, formatYaml } from "../../../local-model/tools/format.js";
import { GoMap, goMap, GoStruct, StringSlice } from "../../../local-model/tools/output-value.js";
import { FakeHookContext } from "./fake-context.js";
import { ok, runError, usageError } from "./tool-results.js";

describe("json format (§2.3)", () => {
  it("is one line plus a newline; nil is null (§2.3)", () => {
    expect(formatJson(null)).toBe("null\n");
    expect(formatJson("v")).toBe('"v"\n');
    expect(formatJson(true)).toBe("true\n");
    expect(formatJson(2379)).toBe("2379\n");
    expect(formatJson(new StringSlice(["a", "b"]))).toBe('["a","b"]\n');
    expect(formatJson(goMap({ b: "2", a: 1 }))).toBe('{"a":1,"b":"2"}\n');
  });

  it("writes a nil map and a nil slice as null, empty ones as {} and [] (§2.3)", () => {
    expect(formatJson(new GoMap(null))).toBe("null\n");
    expect(formatJson(new StringSlice(null))).toBe("null\n");
    expect(formatJson(new GoMap(new Map()))).toBe("{}\n");
    expect(formatJson(new StringSlice([]))).toBe("[]\n");
  });

  it("sorts map keys by bytes and keeps struct fields in order, as encoding/json does (§2.3)", () => {
    expect(formatJson(goMap({ "unit/2": 1, "unit/10": 2, B: 3, a: 4 }))).toBe('{"B":3,"a":4,"unit/10":2,"unit/2":1}\n');
    expect(
      formatJson(
        new GoStruct([
          ["z", 1],
          ["a", 2],
        ]),
      ),
    ).toBe('{"z":1,"a":2}\n');
  });

  it("escapes strings as encoding/json does, <, > and & included (§2.3)", () => {
    expect(formatJson('<a href="x">&\n\t\u0001\u2028')).toBe('"\\u003ca href=\\"x\\"\\u003e\\u0026\\n\\t\\u0001\\u2028"\n');
  });
});

describe("yaml format (§2.3)", () => {
  it("writes nothing at all for nil, and exactly one trailing newline otherwise (§2.3)", () => {
    expect(formatYaml(null)).toBe("");
    expect(formatYaml("v")).toBe("v\n");
    expect(formatYaml(false)).toBe("false\n");
    expect(formatYaml(goMap({ k: "v" }))).toBe("k: v\n");
  });

  it("writes a nil map as {} and a nil slice as [], as yaml.v2 does (§2.3)", () => {
    expect(formatYaml(new GoMap(null))).toBe("{}\n");
    expect(formatYaml(new StringSlice(null))).toBe("[]\n");
  });

  it("quotes strings YAML 1.1 would read as something else, as yaml.v2 does (§2.3)", () => {
    expect(formatYaml(goMap({ a: "yes", b: "12", c: "", d: "true", e: "1.5", f: "null", g: "plain text", h: "y", i: "off" }))).toBe(
      'a: "yes"\nb: "12"\nc: ""\nd: "true"\ne: "1.5"\nf: "null"\ng: plain text\nh: "y"\ni: "off"\n',
    );
  });

  it("double-quotes timestamps, numbers in any Go syntax and base-60 floats, as yaml.v2's resolve reads them (§2.3)", () => {
    expect(formatYaml(new StringSlice(["2024-05-01", "2024-05-01T10:20:30Z", "2024-05-01 10:20:30", "0x1F", "0777", "1_000", ".5", "1:20", "+1"]))).toBe(
      '- "2024-05-01"\n- "2024-05-01T10:20:30Z"\n- "2024-05-01 10:20:30"\n- "0x1F"\n- "0777"\n- "1_000"\n- ".5"\n- "1:20"\n- "+1"\n',
    );
  });

  it("leaves plain what yaml.v2 reads back as a string: addresses, MACs, invalid dates, zoned space-separated times (§2.3)", () => {
    expect(formatYaml(new StringSlice(["10.0.0.5", "00:16:3e:aa:bb:cc", "2024-13-01", "2024-05-01 10:20:30Z", "<<", "é"]))).toBe(
      "- 10.0.0.5\n- 00:16:3e:aa:bb:cc\n- 2024-13-01\n- 2024-05-01 10:20:30Z\n- <<\n- é\n",
    );
  });

  it("single-quotes strings YAML syntax does not allow plain, keys included (§2.3)", () => {
    expect(formatYaml(goMap({ "a: b": "- x", k: " lead", t: "#c" }))).toBe("'a: b': '- x'\nk: ' lead'\nt: '#c'\n");
  });

  it("sorts map keys in yaml.v2's natural order: digit runs compare as numbers (§2.3)", () => {
    expect(formatYaml(goMap({ "unit/10": "a", "unit/2": "b", "unit/1": "c" }))).toBe("unit/1: c\nunit/2: b\nunit/10: a\n");
  });

  it("does not indent sequences under their key and writes multi-line strings as literal blocks (§2.3)", () => {
    expect(formatYaml(goMap({ list: new StringSlice(["x", "z"]), text: "one\ntwo" }))).toBe("list:\n- x\n- z\ntext: |-\n  one\n  two\n");
  });
});

describe("smart format (§2.3)", () => {
  it("prints strings raw, bools as True/False, []string as lines (§2.3)", () => {
    expect(formatSmart("raw: value")).toBe("raw: value\n");
    expect(formatSmart(true)).toBe("True\n");
    expect(formatSmart(false)).toBe("False\n");
    expect(formatSmart(new StringSlice(["db:1", "db:2"]))).toBe("db:1\ndb:2\n");
  });

  it("prints nothing for nil, an empty string or an empty or nil []string (§2.3)", () => {
    expect(formatSmart(null)).toBe("");
    expect(formatSmart("")).toBe("");
    expect(formatSmart(new StringSlice([]))).toBe("");
    expect(formatSmart(new StringSlice(null))).toBe("");
  });

  it("prints maps, numbers and other lists as YAML (§2.3)", () => {
    expect(formatSmart(goMap({ b: "2", a: "1" }))).toBe('a: "1"\nb: "2"\n');
    expect(formatSmart(new GoMap(new Map()))).toBe("{}\n");
    expect(formatSmart(new GoMap(null))).toBe("{}\n");
    expect(formatSmart(42)).toBe("42\n");
    expect(formatSmart(["a", 1])).toBe("- a\n- 1\n");
  });
});

describe("--format and -o/--output (§2.3)", () => {
  it("defaults to smart and accepts json and yaml (§2.3)", () => {
    const ctx = new FakeHookContext({ leader: false });
    expect(ctx.run("is-leader")).toEqual(ok("False\n"));
    expect(ctx.run("is-leader", "--format=json")).toEqual(ok("false\n"));
    expect(ctx.run("is-leader", "--format=yaml")).toEqual(ok("false\n"));
  });

  it('rejects an unknown format: `invalid value "xml" for option --format: unknown format "xml"`, exit 2 (§2.3)', () => {
    expect(new FakeHookContext().run("config-get", "--format=xml")).toEqual(usageError('invalid value "xml" for option --format: unknown format "xml"'));
  });

  it("writes the output to the file named by -o or --output instead of stdout (§2.3)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "tool-output-"));
    const ctx = new FakeHookContext({ leader: true });
    expect(ctx.run("is-leader", "-o", path.join(dir, "short"))).toEqual(ok());
    expect(ctx.run("is-leader", "--format=json", `--output=${path.join(dir, "long")}`)).toEqual(ok());
    expect(await readFile(path.join(dir, "short"), "utf8")).toBe("True\n");
    expect(await readFile(path.join(dir, "long"), "utf8")).toBe("true\n");
  });

  it("creates the -o file even when there is nothing to print (§2.3)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "tool-output-"));
    const ctx = new FakeHookContext({ configSpec: { name: { type: "string" } } });
    expect(ctx.run("config-get", "name", "-o", path.join(dir, "empty"))).toEqual(ok());
    expect(await readFile(path.join(dir, "empty"), "utf8")).toBe("");
  });

  it("fails at Run, exit 1, when the -o file cannot be created (§2.3)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "tool-output-"));
    const missing = path.join(dir, "no", "such", "dir");
    expect(new FakeHookContext().run("is-leader", "-o", missing)).toEqual(runError(`open ${missing}: no such file or directory`));
  });
});
