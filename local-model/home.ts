import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The local-model directory (where jujuc.c and bin/ are), found from a module's URL: the module is either a
 * source file in it or a chunk of the CLI bundle below it (.bundle/<stamp>/, see bin/local-model.mjs).
 */
export function localModelHome(moduleUrl: string): string {
  let dir = path.dirname(fileURLToPath(moduleUrl));
  while (!existsSync(path.join(dir, "jujuc.c"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`jujuc.c not found above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
  return dir;
}
