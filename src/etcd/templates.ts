import { readFile } from "node:fs/promises";
import path from "node:path";

/** The templates shipped in the charm (`<charmDir>/templates/`), read once per hook for the pure renderers. */
export interface Templates {
  readonly config: string;
  readonly unit: string;
}

export type TemplateName = "etcd.conf.yml" | "etcd.service";

export async function loadTemplate(charmDir: string, name: TemplateName): Promise<string> {
  return readFile(path.join(charmDir, "templates", name), "utf8");
}

export async function loadTemplates(charmDir: string): Promise<Templates> {
  const [config, unit] = await Promise.all([loadTemplate(charmDir, "etcd.conf.yml"), loadTemplate(charmDir, "etcd.service")]);
  return { config, unit };
}
