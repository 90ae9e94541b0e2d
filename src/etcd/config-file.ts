import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** The parts of a rendered etcd config file the charm reads back (the file is etcd's `--config-file` YAML). */
export const RenderedConfig = z.object({
  name: z.string(),
  "advertise-client-urls": z.string(),
  "initial-advertise-peer-urls": z.string().optional(),
});
export type RenderedConfig = z.infer<typeof RenderedConfig>;

/** The config etcd was last started with, or undefined when none was ever rendered on this unit. */
export async function readRenderedConfig(file: string): Promise<RenderedConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return RenderedConfig.parse(parseYaml(text));
}

/** Client URLs a rendered config advertises (comma-separated in etcd's format). */
export function clientUrls(config: RenderedConfig): string[] {
  return config["advertise-client-urls"]
    .split(",")
    .map((url) => url.trim())
    .filter(Boolean);
}
