import { describe, expect, it } from "vitest";
import { decodeStringMap } from "../../../local-model/tools/settings-file.js";
import { ToolRunError } from "../../../local-model/tools/types.js";

const decoded = (text: string) => Object.fromEntries(decodeStringMap(text));

describe("--file content: yaml.v2 into map[string]string (§2.2, §3.2)", () => {
  it("decodes a YAML map and a JSON object alike (§2.2)", () => {
    expect(decoded("a: b\nc: 'd e'\n")).toEqual({ a: "b", c: "d e" });
    expect(decoded('{"a": "b", "c": "d e"}')).toEqual({ a: "b", c: "d e" });
  });

  it("keeps a scalar's source text when the target is a string, as yaml.v2 does (§2.2)", () => {
    expect(decoded("port: 5432\nratio: 1.50\nflag: yes\nhex: 0x1F\n")).toEqual({ port: "5432", ratio: "1.50", flag: "yes", hex: "0x1F" });
  });

  it("decodes null values as empty strings, which relation-set treats as deletions (§2.2, §3.2)", () => {
    expect(decoded("a:\nb: ~\nc: null\n")).toEqual({ a: "", b: "", c: "" });
  });

  it("treats an empty document as no settings (§2.2)", () => {
    expect(decoded("")).toEqual({});
    expect(decoded("~\n")).toEqual({});
  });

  it("lets a later duplicate key win, as yaml.v2 does (§2.2)", () => {
    expect(decoded("a: 1\na: 2\n")).toEqual({ a: "2" });
  });

  it("rejects a document that is not a map with yaml.v2's unmarshal error (§3.2)", () => {
    expect(() => decodeStringMap("short text")).toThrow(
      new ToolRunError("yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `short text` into map[string]string"),
    );
    expect(() => decodeStringMap("a longer text")).toThrow(
      new ToolRunError("yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `a longe...` into map[string]string"),
    );
    expect(() => decodeStringMap("- a\n- b\n")).toThrow(new ToolRunError("yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into map[string]string"));
  });

  it("rejects nested values, one error line each (§3.2)", () => {
    expect(() => decodeStringMap("a: x\nb:\n  c: d\ne: [1]\n")).toThrow(
      new ToolRunError("yaml: unmarshal errors:\n  line 3: cannot unmarshal !!map into string\n  line 4: cannot unmarshal !!seq into string"),
    );
  });

  it("reports a syntax error with its line, prefixed yaml: (§3.2)", () => {
    expect(() => decodeStringMap("a: b\n  c: [\n")).toThrow(/^yaml: line \d+: /);
  });
});
