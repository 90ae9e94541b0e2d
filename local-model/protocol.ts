import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { z } from "zod";

/**
 * What crosses the controller's socket: the CLI's requests (one verb each; each verb's fields are declared
 * with the verb, see verbs.ts) and their responses, and the hook tools' and systemctl's calls.
 */

/** A request names its verb; the verb's schema checks the rest. */
export const VerbRequest = z.looseObject({ verb: z.string() });
export type VerbRequest = z.infer<typeof VerbRequest>;

/** A CLI request with how long a mutating verb may wait for the model to become idle. */
export const CliEnvelope = z.object({ timeoutMs: z.number().int().positive().optional(), request: VerbRequest });

export const CliResponse = z.object({ ok: z.boolean(), error: z.string().optional(), result: z.unknown().optional() });
export type CliResponse = z.infer<typeof CliResponse>;

export const ToolRequest = z.object({
  contextId: z.string(),
  tool: z.string(),
  args: z.array(z.string()),
  stdin: z.string().optional(),
});

export const SystemctlRequest = z.object({ unit: z.string(), args: z.array(z.string()) });
/** A machine's apt-get or dpkg-query (package-commands.ts). */
export const PackagesRequest = z.object({ unit: z.string(), command: z.enum(["apt-get", "dpkg-query"]), args: z.array(z.string()) });

/** The controller's socket: in the model dir, or in /tmp when that path is too long for a Unix socket. */
export function controllerSocketPath(modelDir: string): string {
  const inModel = path.join(modelDir, "controller.sock");
  if (inModel.length < 100) return inModel;
  return path.join(tmpdir(), `local-model-${createHash("sha256").update(modelDir).digest("hex").slice(0, 16)}.sock`);
}
