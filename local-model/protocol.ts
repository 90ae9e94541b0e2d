import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { z } from "zod";

/** Requests the CLI sends to the model controller (one verb per request). */
export const CliRequest = z.discriminatedUnion("verb", [
  z.object({ verb: z.literal("ping") }),
  z.object({ verb: z.literal("deploy"), source: z.string(), app: z.string().optional(), count: z.number().int(), config: z.array(z.string()) }),
  z.object({ verb: z.literal("refresh"), app: z.string(), source: z.string() }),
  z.object({ verb: z.literal("add-unit"), app: z.string(), count: z.number().int() }),
  z.object({ verb: z.literal("remove-unit"), units: z.array(z.string()) }),
  z.object({ verb: z.literal("remove-application"), app: z.string() }),
  z.object({ verb: z.literal("integrate"), a: z.string(), b: z.string() }),
  z.object({ verb: z.literal("remove-relation"), a: z.string(), b: z.string() }),
  z.object({ verb: z.literal("config"), app: z.string(), set: z.array(z.string()), reset: z.array(z.string()) }),
  z.object({ verb: z.literal("model-config"), set: z.array(z.string()) }),
  z.object({ verb: z.literal("run"), unit: z.string(), action: z.string(), args: z.array(z.string()) }),
  z.object({ verb: z.literal("exec"), unit: z.string(), command: z.string(), relation: z.string().optional(), remoteUnit: z.string().optional() }),
  z.object({ verb: z.literal("resolved"), unit: z.string(), retry: z.boolean() }),
  z.object({ verb: z.literal("elect"), unit: z.string() }),
  z.object({ verb: z.literal("status") }),
  z.object({ verb: z.literal("wait") }),
  z.object({ verb: z.literal("destroy") }),
]);
export type CliRequest = z.infer<typeof CliRequest>;

/** A CLI request with how long a mutating verb may wait for the model to become idle. */
export const CliEnvelope = z.object({ timeoutMs: z.number().int().positive().optional(), request: CliRequest });

export interface CliResponse {
  readonly ok: boolean;
  readonly error?: string;
  readonly result?: unknown;
}

export const ToolRequest = z.object({
  contextId: z.string(),
  tool: z.string(),
  args: z.array(z.string()),
  stdin: z.string().optional(),
});

export const SystemctlRequest = z.object({ unit: z.string(), args: z.array(z.string()) });

/** The controller's socket: in the model dir, or in /tmp when that path is too long for a Unix socket. */
export function controllerSocketPath(modelDir: string): string {
  const inModel = path.join(modelDir, "controller.sock");
  if (inModel.length < 100) return inModel;
  return path.join(tmpdir(), `local-model-${createHash("sha256").update(modelDir).digest("hex").slice(0, 16)}.sock`);
}
