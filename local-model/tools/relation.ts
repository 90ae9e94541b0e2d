/** relation-get, relation-set, relation-ids, relation-list and relation-model-get (contract §3.1–§3.5). */
import type { HookToolSpec } from "./command.js";
import { checkEmpty, keyArgument, parseKeyValues, relationFlag, requireRelation, UsageError } from "./flags.js";
import { outputFlags } from "./format.js";
import { goQuote, goStringOrder } from "./go-text.js";
import { GoStruct, StringSlice, wholeOrKey } from "./output-value.js";
import { fakeId, hookRelation, relationById } from "./relation-views.js";
import { fileFlag, settingsWithFile } from "./settings-file.js";
import { ToolRunError, type Databag, type HookToolContext, type RelationView } from "./types.js";

// juju/names: application and unit names.
const APPLICATION = "[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*";
const VALID_APPLICATION = new RegExp(`^${APPLICATION}$`);
const VALID_UNIT = new RegExp(`^(${APPLICATION})/(?:0|[1-9][0-9]*)$`);

/**
 * Where relation-get reads from (jujuc mustReadSettingsFromController): this unit, and this application
 * when leader, from the hook context with its pending writes; anything else as the controller would serve
 * it. As in Juju 3.x, naming this application without --app as leader reads this unit's own bag, and a
 * name that is no unit or application fails at Run.
 */
function readSettings(ctx: HookToolContext, relation: RelationView, target: string, application: boolean): Databag {
  const local = target === ctx.unit || (target === ctx.app && ctx.isLeader());
  if (local) return application ? relation.readApp(ctx.app) : relation.readUnit(ctx.unit);
  if (!application && VALID_UNIT.test(target)) return relation.readUnit(target);
  if (VALID_APPLICATION.test(target)) return relation.readApp(target);
  throw new ToolRunError(`${goQuote(target)} is not a valid unit or application`);
}

export const relationGet: HookToolSpec = {
  name: "relation-get",
  args: (ctx) => (ctx.remoteUnit === undefined ? "<key> <unit id>" : "[<key> [<unit id>]]"),
  purpose: "Get relation settings.",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    const relation = relationFlag(flags, ctx, "Specify a relation by id");
    const app = flags.bool(["app"], "Get the relation data for the overall application, not just a unit");
    return (positionals) => {
      const relationId = requireRelation(relation);
      const [keyArg, nameArg, ...extra] = positionals;
      const key = keyArgument(keyArg);
      let application = app.value;
      let target: string;
      if (nameArg !== undefined) {
        // With --app a unit name stands for its application; a name that is neither is left empty (3.x).
        target = application ? (VALID_APPLICATION.test(nameArg) ? nameArg : (VALID_UNIT.exec(nameArg)?.[1] ?? "")) : nameArg;
      } else if (application || ctx.remoteUnit === undefined) {
        // No unit to default to (relation-created/-broken, app-level relation-changed): the remote application.
        if (ctx.remoteApp === undefined) throw new UsageError("no unit or application specified");
        target = ctx.remoteApp;
        application = true;
      } else {
        target = ctx.remoteUnit;
      }
      checkEmpty(extra);
      return (io) => {
        const settings = readSettings(ctx, relationById(ctx, relationId), target, application);
        output.write(io, wholeOrKey(settings, key));
      };
    };
  },
};

export const relationSet: HookToolSpec = {
  name: "relation-set",
  args: "key=value [key=value ...]",
  purpose: "set relation settings",
  setup(flags, ctx) {
    const relation = relationFlag(flags, ctx, "specify a relation by id");
    const file = fileFlag(flags);
    const app = flags.bool(["app"], 'pick whether you are setting "application" settings or "unit" settings');
    const format = flags.string(["format"], "", "deprecated format flag");
    return (positionals) => {
      const relationId = requireRelation(relation);
      const overrides = parseKeyValues(positionals);
      return (io) => {
        // Juju prints this without a newline.
        if (format.value !== "") io.stderr += '--format flag deprecated for command "relation-set"';
        const settings = Object.fromEntries(settingsWithFile(io, file, overrides));
        const target = relationById(ctx, relationId);
        if (app.value && !ctx.isLeader()) throw new ToolRunError("cannot write relation settings");
        if (Object.keys(settings).length === 0) return;
        if (app.value) target.writeApp(settings);
        else target.writeUnit(settings);
      };
    };
  },
};

export const relationIds: HookToolSpec = {
  name: "relation-ids",
  args: (ctx) => (hookRelation(ctx) === undefined ? "<name>" : "[<name>]"),
  purpose: "List all relation IDs for the given endpoint.",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    return (positionals) => {
      const [nameArg, ...extra] = positionals;
      const endpoint = nameArg ?? hookRelation(ctx)?.endpoint;
      if (endpoint === undefined) throw new UsageError("no endpoint name specified");
      checkEmpty(extra);
      return (io) => {
        const ids = ctx
          .relations()
          .filter((relation) => relation.endpoint === endpoint && !relation.broken)
          .map(fakeId)
          .sort(goStringOrder);
        output.write(io, new StringSlice(ids));
      };
    };
  },
};

export const relationList: HookToolSpec = {
  name: "relation-list",
  args: "",
  purpose: "list relation units",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    const relation = relationFlag(flags, ctx, "Specify a relation by id");
    const app = flags.bool(["app"], "List remote application instead of participating units");
    return (positionals) => {
      const relationId = requireRelation(relation);
      checkEmpty(positionals);
      return (io) => {
        const target = relationById(ctx, relationId);
        output.write(io, app.value ? target.remoteApp : new StringSlice(target.members()));
      };
    };
  },
};

export const relationModelGet: HookToolSpec = {
  name: "relation-model-get",
  args: "",
  purpose: "Get details about the model hosting a related application.",
  setup(flags, ctx) {
    const output = outputFlags(flags, "smart");
    const relation = relationFlag(flags, ctx, "Specify a relation by id");
    return (positionals) => {
      const relationId = requireRelation(relation);
      checkEmpty(positionals);
      return (io) => output.write(io, new GoStruct([["uuid", relationById(ctx, relationId).remoteModelUuid]]));
    };
  },
};
