/** secret-add, secret-set, secret-remove, secret-grant and secret-revoke (contract §3.19; interfaces §6.1, §6.4, §6.5). */
import { parseSecretId } from "../secret-store.js";
import type { HookToolSpec } from "./command.js";
import { checkEmpty, relationFlag, UsageError } from "./flags.js";
import { goAtoi, goQuote } from "./go-text.js";
import { secretFieldFlags, secretFields } from "./secret-content.js";
import { type HookToolContext, ToolRunError } from "./types.js";

/** The `<ID>` positional: a secret URI or bare id; anything else is an Init error. */
export function secretIdArgument(text: string | undefined): string {
  if (text === undefined) throw new UsageError("missing secret URI");
  const id = parseSecretId(text);
  if (id === undefined) throw new UsageError(`secret URI ${goQuote(text)} not valid`);
  return id;
}

function checkOwner(owner: string): void {
  if (owner !== "application" && owner !== "unit") throw new UsageError(`secret owner ${goQuote(owner)} not valid`);
}

/** Application and unit names as names.IsValidApplication and names.IsValidUnit take them. */
const APP_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*$/;
const UNIT_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*\/[0-9]+$/;

export const secretAdd: HookToolSpec = {
  name: "secret-add",
  args: "[key[#base64|#file]=value...]",
  purpose: "Add a new secret.",
  setup(flags, ctx) {
    const fields = secretFieldFlags(flags);
    const owner = flags.string(["owner"], "application", "the owner of the secret, either the application or unit");
    return (positionals) => {
      if (positionals.length === 0 && fields.file.value === "") throw new UsageError("missing secret value or filename");
      const values = secretFields(fields, positionals, ctx.secrets().now(), () => checkOwner(owner.value));
      const ownerKind = owner.value === "unit" ? "unit" : "application";
      return (io) => {
        // An empty --file gives no content: refused at Run, as jujuc's secret-add does.
        if (Object.keys(values.content ?? {}).length === 0) throw new ToolRunError("empty secret value not valid");
        io.stdout += `${ctx.secrets().add(ownerKind, values)}\n`;
      };
    };
  },
};

export const secretSet: HookToolSpec = {
  name: "secret-set",
  args: "<ID> [key[#base64]=value...]",
  purpose: "Update an existing secret.",
  setup(flags, ctx) {
    const fields = secretFieldFlags(flags);
    // jujuc's secret-set shares secret-add's options (and checks); the owner of a secret never changes.
    const owner = flags.string(["owner"], "application", "the owner of the secret, either the application or unit");
    return (positionals) => {
      const [uri, ...content] = positionals;
      const id = secretIdArgument(uri);
      const values = secretFields(fields, content, ctx.secrets().now(), () => checkOwner(owner.value));
      return () => ctx.secrets().set(id, values);
    };
  },
};

export const secretRemove: HookToolSpec = {
  name: "secret-remove",
  args: "<ID>",
  purpose: "Remove an existing secret.",
  setup(flags, ctx) {
    // gnuflag's IntVar (strconv.ParseInt); 0, the default, or less removes every revision.
    const revision = { value: 0 };
    flags.define(
      ["revision"],
      {
        kind: "other",
        defaultText: "0",
        set(text) {
          try {
            revision.value = goAtoi(text);
          } catch (error) {
            throw new Error((error as Error).message.replace("strconv.Atoi", "strconv.ParseInt"));
          }
        },
      },
      "remove the specified revision",
    );
    return (positionals) => {
      const [uri, ...extra] = positionals;
      const id = secretIdArgument(uri);
      checkEmpty(extra);
      return () => ctx.secrets().remove(id, revision.value > 0 ? revision.value : undefined);
    };
  },
};

function unitFlag(flags: Parameters<HookToolSpec["setup"]>[0]): { readonly value: string } {
  return flags.string(["unit"], "", "the unit to grant or revoke access");
}

export const secretGrant: HookToolSpec = {
  name: "secret-grant",
  args: "<ID>",
  purpose: "Grant access to a secret.",
  setup(flags, ctx: HookToolContext) {
    const relation = relationFlag(flags, ctx, "the relation with which to associate the grant");
    const unit = unitFlag(flags);
    return (positionals) => {
      const [uri, ...extra] = positionals;
      const id = secretIdArgument(uri);
      checkEmpty(extra);
      if (relation.id === -1) throw new UsageError("no relation id specified");
      const relationId = relation.id;
      if (unit.value !== "") {
        if (!UNIT_NAME.test(unit.value)) throw new UsageError(`unit ${goQuote(unit.value)} not valid`);
        const remoteApp = ctx.relations().find((candidate) => candidate.id === relationId)?.remoteApp ?? "";
        if (unit.value.split("/")[0] !== remoteApp) {
          throw new UsageError(`cannot specify unit ${goQuote(unit.value)} in relation to application ${goQuote(remoteApp)}`);
        }
      }
      return () => ctx.secrets().grant(id, relationId, unit.value === "" ? undefined : unit.value);
    };
  },
};

export const secretRevoke: HookToolSpec = {
  name: "secret-revoke",
  args: "<ID>",
  purpose: "Revoke access to a secret.",
  setup(flags, ctx: HookToolContext) {
    const relation = relationFlag(flags, ctx, "the relation for which to revoke the grant");
    const app = flags.string(["app", "application"], "", "the application to revoke access");
    const unit = unitFlag(flags);
    return (positionals) => {
      const [uri, ...extra] = positionals;
      const id = secretIdArgument(uri);
      checkEmpty(extra);
      // jujuc secret-revoke.go Init: a relation (the hook's by default) stands for its remote application.
      if (app.value !== "" && !APP_NAME.test(app.value)) throw new UsageError(`application ${goQuote(app.value)} not valid`);
      if (unit.value !== "" && !UNIT_NAME.test(unit.value)) throw new UsageError(`unit ${goQuote(unit.value)} not valid`);
      if (app.value !== "" && unit.value !== "") throw new UsageError("specify only one of application or unit");
      if (relation.id >= 0 && app.value !== "") throw new UsageError("do not specify both relation and app");
      if (relation.id < 0 && app.value === "" && unit.value === "") throw new UsageError("missing relation or application or unit");
      const target = {
        ...(relation.id >= 0 ? { relationId: relation.id } : {}),
        ...(app.value !== "" ? { app: app.value } : {}),
        ...(unit.value !== "" ? { unit: unit.value } : {}),
      };
      return () => ctx.secrets().revoke(id, target);
    };
  },
};
