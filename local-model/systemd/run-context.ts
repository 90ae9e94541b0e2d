import { stat } from "node:fs/promises";
import { readEnvironmentFiles } from "./environment-file.js";
import type { ServiceDefinition } from "./service-definition.js";
import { applicableNoFileLimit } from "./service-process.js";
import type { ResourceLimit } from "./setting-values.js";
import { resolveCredentials, type Credentials } from "./users.js";

/**
 * What the commands of one run of a service run with: environment, credentials, working directory and
 * LimitNOFILE=, fixed when the service starts (systemd.exec(5)).
 */
export interface RunContext {
  readonly environment: Readonly<Record<string, string>>;
  readonly credentials: Credentials | undefined;
  readonly workingDirectory: string;
  readonly limitNoFile: ResourceLimit | undefined;
}

/** The environment every service starts from, before User=, Environment= and EnvironmentFile=. */
export const BASE_ENVIRONMENT: Readonly<Record<string, string>> = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  LANG: "C.UTF-8",
};

/**
 * Resolves the definition's settings into a run context. Throws CredentialsError for an unknown User= or
 * Group= and EnvironmentFileError for a missing EnvironmentFile=; `note` goes to the unit's journal.
 */
export async function resolveRunContext(definition: ServiceDefinition, note: (message: string) => void): Promise<RunContext> {
  const credentials = definition.user !== undefined || definition.group !== undefined ? await resolveCredentials(definition.user, definition.group) : undefined;
  const environment: Record<string, string> = { ...BASE_ENVIRONMENT };
  if (credentials?.account && definition.user !== undefined) {
    const { name, home, shell } = credentials.account;
    Object.assign(environment, { USER: name, LOGNAME: name, HOME: home, SHELL: shell });
  }
  for (const [name, value] of definition.environment) environment[name] = value;
  Object.assign(environment, await readEnvironmentFiles(definition.environmentFiles));
  const directory = definition.workingDirectory;
  let workingDirectory = directory?.path === "~" ? (credentials?.account?.home ?? "/root") : (directory?.path ?? "/");
  if (directory?.optional && !(await stat(workingDirectory).catch(() => undefined))?.isDirectory()) workingDirectory = "/";
  const { limit, lowered } = applicableNoFileLimit(definition.limitNoFile);
  if (lowered) note(`LimitNOFILE= lowered to ${limit?.soft}:${limit?.hard}, the service manager's own hard limit (no CAP_SYS_RESOURCE).`);
  return { environment, credentials, workingDirectory, limitNoFile: limit };
}
