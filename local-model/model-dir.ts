import { stat } from "node:fs/promises";
import path from "node:path";

/**
 * Units' services run as their own users (User=, e.g. etcd) and reach their machine's files under the model
 * directory, as a service reaches / on a real machine: every directory on the way must be searchable by
 * others. A model directory inside a private one (`mktemp -d` makes 0700 directories) would make every
 * such service fail with "permission denied"; the model refuses it at once instead, saying what to change.
 */
export async function checkReachableByServices(modelDir: string): Promise<void> {
  // Only root can start services as other users; a model run by anyone else has none to worry about.
  if (process.getuid?.() !== 0) return;
  const absolute = path.resolve(modelDir);
  for (let dir = absolute; ; dir = path.dirname(dir)) {
    const info = await stat(dir).catch(() => undefined);
    if (info && (info.mode & 0o001) === 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
      throw new Error(
        `the model directory ${absolute} is not reachable by the users services run as: ${dir} is mode ${mode}, not searchable by others. ` +
          `Make it searchable (chmod o+x ${dir}) or choose a model directory others can reach.`,
      );
    }
    if (path.dirname(dir) === dir) return;
  }
}
