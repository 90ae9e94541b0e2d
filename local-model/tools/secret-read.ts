/** secret-get, secret-ids and secret-info-get (contract §3.19; interfaces §6.1, §6.3, §6.5). */
import { decodedContent } from "../secret-store.js";
import type { HookToolSpec } from "./command.js";
import { checkEmpty, UsageError } from "./flags.js";
import { outputFlags } from "./format.js";
import { goQuote } from "./go-text.js";
import { GoMap, GoStruct, goMap, StringSlice, type OutputValue } from "./output-value.js";
import { secretIdArgument } from "./secret-write.js";
import { ToolRunError, type SecretInfo } from "./types.js";

export const secretGet: HookToolSpec = {
  name: "secret-get",
  args: "<ID> [key[#base64]]",
  purpose: "Get the content of a secret.",
  setup(flags, ctx) {
    const output = outputFlags(flags, "yaml", ["yaml", "json"]);
    const label = flags.string(["label"], "", "a label used to identify the secret in hooks");
    const peek = flags.bool(["peek"], "get the latest revision just this time");
    const refresh = flags.bool(["refresh"], "get the latest revision and also get this same revision for subsequent calls");
    return (positionals) => {
      // The first argument is always the secret's URI, --label or not (jujuc secret-get.go Init).
      const [first, key, ...extra] = positionals;
      const id = first === undefined ? undefined : secretIdArgument(first);
      if (id === undefined && label.value === "") throw new UsageError("require either a secret URI or label");
      if (peek.value && refresh.value) throw new UsageError("specify one of --peek or --refresh but not both");
      checkEmpty(extra);
      const ref = { ...(id !== undefined ? { id } : {}), ...(label.value !== "" ? { label: label.value } : {}) };
      const mode = peek.value ? "peek" : refresh.value ? "refresh" : "pinned";
      return (io) => {
        const content = ctx.secrets().get(ref, mode);
        if (key === undefined) {
          output.write(io, goMap(decodedContent(content)));
          return;
        }
        const base64 = key.endsWith("#base64");
        const name = base64 ? key.slice(0, -"#base64".length) : key;
        const value = content[name];
        if (value === undefined) throw new ToolRunError(`secret key ${goQuote(name)} not found`);
        output.write(io, base64 ? value : Buffer.from(value, "base64").toString("utf8"));
      };
    };
  },
};

export const secretIds: HookToolSpec = {
  name: "secret-ids",
  args: "",
  purpose: "Print secret IDs.",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    return (positionals) => {
      checkEmpty(positionals);
      // A Go slice appended to from nil: null in JSON when the unit manages no secret.
      return (io) => {
        const ids = ctx.secrets().ids();
        output.write(io, new StringSlice(ids.length === 0 ? null : ids));
      };
    };
  },
};

/** jujuc secret-info-get's metadataDisplay fields in their order (label always), omitempty ones left out when empty. */
function infoValue(info: SecretInfo): OutputValue {
  const fields: Array<[string, OutputValue]> = [
    ["revision", info.revision],
    ["label", info.label ?? ""],
    ["owner", info.owner],
  ];
  if (info.description) fields.push(["description", info.description]);
  if (info.rotation) fields.push(["rotation", info.rotation]);
  if (info.expiry) fields.push(["expiry", info.expiry]);
  if (info.rotates) fields.push(["rotates", info.rotates]);
  if (info.access.length > 0) {
    const access = info.access.map(
      (grant) =>
        new GoStruct([
          ["target", grant.target],
          ["scope", grant.scope],
          ["role", grant.role],
        ]),
    );
    fields.push(["access", access]);
  }
  return new GoStruct(fields);
}

export const secretInfoGet: HookToolSpec = {
  name: "secret-info-get",
  args: "<ID>",
  purpose: "Get a secret's metadata info.",
  setup(flags, ctx) {
    const output = outputFlags(flags, "yaml", ["yaml", "json"]);
    const label = flags.string(["label"], "", "a label used to identify the secret");
    return (positionals) => {
      const [uri, ...extra] = positionals;
      checkEmpty(extra);
      if (uri === undefined && label.value === "") throw new UsageError("require either a secret URI or label");
      if (uri !== undefined && label.value !== "") throw new UsageError("specify either a secret URI or label but not both");
      const ref = uri !== undefined ? { id: secretIdArgument(uri) } : { label: label.value };
      return (io) => {
        const info = ctx.secrets().info(ref);
        output.write(io, new GoMap(new Map([[info.id, infoValue(info)]])));
      };
    };
  },
};
