import { z } from "zod";
import { completeMachineUpgrade, prepareMachineUpgrade } from "./machine-upgrade.js";
import { ModelError } from "./model-error.js";
import { defineVerb } from "./verb.js";

/** Verbs that change machines' bases (interfaces §8.1): Juju 3.x's upgrade-machine and set-application-base. */

const MachineUpgradeResult = z.object({ units: z.array(z.string()), from: z.string(), to: z.string(), packages: z.array(z.string()).optional() });

export const upgradeMachine = defineVerb({
  name: "upgrade-machine",
  request: z.object({ machine: z.string(), step: z.string(), base: z.string().optional(), force: z.boolean().optional() }),
  result: MachineUpgradeResult,
  handle: async (host, request) => {
    const { state } = host.model;
    let change: z.output<typeof MachineUpgradeResult>;
    if (request.step === "prepare") {
      if (!request.base) throw new ModelError("upgrade-machine prepare needs the base to upgrade to, e.g. ubuntu@26.04");
      change = await prepareMachineUpgrade(state, request.machine, request.base, request.force === true);
    } else if (request.step === "complete") {
      change = await completeMachineUpgrade(state, host.controller.services, host.model.archive, request.machine);
    } else {
      throw new ModelError(`upgrade-machine: unknown step "${request.step}": expected prepare or complete`);
    }
    await host.settle();
    return change;
  },
  command: {
    usage: "upgrade-machine <machine> <step> [base]",
    description:
      "prepare: run pre-series-upgrade on the machine's units and hold their other hooks; complete: upgrade the machine's OS " +
      "(its packages from the new base's archive, then a reboot) and run post-series-upgrade",
    configure: (command) =>
      command.option("--force", "prepare even if a charm on the machine does not support the base", false).option("-y, --yes", "do not ask"),
    toRequest: (input) => {
      const base = input.optionalString("base");
      return { machine: input.string("machine"), step: input.string("step"), ...(base ? { base } : {}), ...(input.boolean("force") ? { force: true } : {}) };
    },
    print: (change, input) => {
      const step = input.string("step");
      for (const unit of change.units) console.error(`${step === "prepare" ? "pre" : "post"}-series-upgrade ran on ${unit}`);
      for (const line of change.packages ?? []) console.error(`upgraded ${line}`);
      console.error(
        step === "prepare"
          ? `machine ${input.string("machine")} is prepared for ${change.to}: upgrade its OS, then run upgrade-machine ${input.string("machine")} complete`
          : `machine ${input.string("machine")} is on ${change.to} (was ${change.from})`,
      );
    },
  },
});

export const setApplicationBase = defineVerb({
  name: "set-application-base",
  request: z.object({ app: z.string(), base: z.string() }),
  result: z.void(),
  handle: async (host, request) => {
    host.model.setApplicationBase(request.app, request.base);
    await host.settle();
  },
  command: {
    usage: "set-application-base <application> <base>",
    description: "the base new units get (existing machines keep theirs); refresh to a charm for that base before adding units",
    toRequest: (input) => ({ app: input.string("application"), base: input.string("base") }),
  },
});
