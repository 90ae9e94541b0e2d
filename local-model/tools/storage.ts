/** storage-get, storage-list and storage-add (interfaces §7.4; storage-add is buffered, contract §4). */
import type { HookToolSpec } from "./command.js";
import { checkEmpty, UsageError } from "./flags.js";
import { outputFlags } from "./format.js";
import { goQuote } from "./go-text.js";
import { goMap, StringSlice } from "./output-value.js";
import { ToolRunError } from "./types.js";

/** names.IsValidStorage: `<storage name>/<number>`. */
const STORAGE_ID = /^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*\/[0-9]+$/;
const STORAGE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*$/;

export const storageGet: HookToolSpec = {
  name: "storage-get",
  args: "[<key>]",
  purpose: "print information for storage instance with specified id",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    // -s defaults to the hook's own storage (storageIdValue starts at ctx.HookStorage()).
    let id = ctx.storageId ?? "";
    flags.define(
      ["s"],
      {
        kind: "other",
        defaultText: id,
        set(text) {
          if (!STORAGE_ID.test(text)) throw new Error(`invalid storage ID ${goQuote(text)}`);
          if (ctx.storage(text) === undefined) throw new Error(`storage attachment ${goQuote(text)} not found`);
          id = text;
        },
      },
      "specify a storage instance by id",
    );
    return (positionals) => {
      if (id === "") throw new UsageError("no storage instance specified");
      const [key = "", ...extra] = positionals;
      checkEmpty(extra);
      return (io) => {
        const storage = ctx.storage(id);
        if (storage === undefined) throw new ToolRunError(`storage attachment ${goQuote(id)} not found`);
        const values = { kind: storage.kind, location: storage.location };
        if (key === "") output.write(io, goMap(values));
        else if (key === "kind" || key === "location") output.write(io, values[key]);
        else throw new ToolRunError(`invalid storage attribute ${goQuote(key)}`);
      };
    };
  },
};

export const storageList: HookToolSpec = {
  name: "storage-list",
  args: "[<storage-name>]",
  purpose: "list storage attached to the unit",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    return (positionals) => {
      const [name = "", ...extra] = positionals;
      checkEmpty(extra);
      return (io) => {
        const ids = ctx.storageIds().filter((id) => name === "" || id.slice(0, id.indexOf("/")) === name);
        output.write(io, new StringSlice(ids));
      };
    };
  },
};

export const storageAdd: HookToolSpec = {
  name: "storage-add",
  args: "<charm storage name>[=count] ...",
  purpose: "add storage instances",
  setup(_flags, ctx) {
    return (positionals) => {
      if (positionals.length === 0) throw new UsageError("storage add requires a storage directive");
      const requests = positionals.map((arg) => {
        const [name = "", count] = arg.split("=", 2);
        if (!STORAGE_NAME.test(name)) throw new UsageError(`expected "key=value", got ${goQuote(arg)}`);
        if (count !== undefined && !/^[0-9]+$/.test(count)) throw new UsageError(`cannot parse count: ${goQuote(count)} is not a number`);
        return { name, count: count === undefined ? 1 : Number(count) };
      });
      // Buffered: the instances are added when the hook commits (contract §4).
      return () => {
        for (const request of requests) ctx.addStorage(request.name, request.count);
      };
    };
  },
};
