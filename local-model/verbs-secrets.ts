import { textTable } from "./text-table.js";
import path from "node:path";
import { stringify as toYaml } from "yaml";
import { z } from "zod";
import { defineVerb, type VerbInput } from "./verb.js";

/**
 * The operator's secret verbs (interfaces §6.6): add-secret, update-secret, grant-secret, secrets, show-secret.
 * The work is in user-secrets.ts, loaded by the controller only.
 */

const userSecrets = () => import("./user-secrets.js");

/** `key#file=path` names a file relative to where the operator is; the controller runs elsewhere. */
function contentArguments(input: VerbInput): string[] {
  return input.strings("content").map((arg) => {
    const match = /^([^=]*#file)=(.*)$/.exec(arg);
    return match ? `${match[1]}=${path.resolve(match[2] ?? "")}` : arg;
  });
}

const SecretDetails = z.object({
  revision: z.number(),
  name: z.string().optional(),
  owner: z.string(),
  description: z.string().optional(),
  label: z.string().optional(),
  rotation: z.string().optional(),
  created: z.string(),
  updated: z.string(),
  content: z.record(z.string(), z.string()).optional(),
});
const SecretsByID = z.record(z.string(), SecretDetails);

/** `juju secrets`' table. */
function secretsTable(secrets: z.output<typeof SecretsByID>): string {
  const rows = [["ID", "Name", "Owner", "Rotation", "Revision", "Last updated"]];
  for (const [id, shown] of Object.entries(secrets)) {
    rows.push([id, shown.name ?? "-", shown.owner, shown.rotation ?? "never", String(shown.revision), shown.updated]);
  }
  return `${textTable(rows)}\n`;
}

const printDetails = (shown: z.output<typeof SecretsByID>, input: VerbInput) => {
  if (input.string("format") === "json") console.log(JSON.stringify(shown));
  else process.stdout.write(toYaml(shown));
};

export const addSecret = defineVerb({
  name: "add-secret",
  request: z.object({ name: z.string(), content: z.array(z.string()), info: z.string().optional() }),
  result: z.object({ uri: z.string() }),
  handle: async (host, request) => {
    const uri = (await userSecrets()).addUserSecret(host.model.state, request.name, request.content, request.info);
    await host.settle();
    return { uri };
  },
  command: {
    usage: "add-secret <name> [content...]",
    description: "add a user secret owned by the model (key=value, key#base64=value, key#file=path)",
    configure: (command) => command.option("--info <description>", "the secret description"),
    toRequest: (input) => ({ name: input.string("name"), content: contentArguments(input), info: input.optionalString("info") }),
    print: (result) => console.log(result.uri),
  },
});

export const updateSecret = defineVerb({
  name: "update-secret",
  request: z.object({ secret: z.string(), content: z.array(z.string()), info: z.string().optional() }),
  result: z.void(),
  handle: async (host, request) => {
    (await userSecrets()).updateUserSecret(host.model.state, request.secret, request.content, request.info);
    await host.settle();
  },
  command: {
    usage: "update-secret <secret> [content...]",
    description: "publish a new revision of a user secret (by name or URI); the units tracking it get secret-changed",
    configure: (command) => command.option("--info <description>", "the secret description"),
    toRequest: (input) => ({ secret: input.string("secret"), content: contentArguments(input), info: input.optionalString("info") }),
  },
});

export const grantSecret = defineVerb({
  name: "grant-secret",
  request: z.object({ secret: z.string(), apps: z.array(z.string()) }),
  result: z.void(),
  handle: async (host, request) => {
    (await userSecrets()).grantUserSecret(host.model.state, request.secret, request.apps);
    await host.settle();
  },
  command: {
    usage: "grant-secret <secret> <applications>",
    description: "let applications (comma-separated) read a user secret; no hook runs",
    toRequest: (input) => ({ secret: input.string("secret"), apps: input.string("applications").split(",").filter(Boolean) }),
  },
});

export const secrets = defineVerb({
  name: "secrets",
  request: z.object({}),
  result: SecretsByID,
  handle: async (host) => (await userSecrets()).listSecrets(host.model.state),
  command: {
    usage: "secrets",
    description: "list the model's secrets (never their content)",
    configure: (command) => command.option("--format <format>", "tabular, yaml or json", "tabular"),
    toRequest: () => ({}),
    print: (shown, input) => {
      if (input.string("format") === "tabular") process.stdout.write(secretsTable(shown));
      else printDetails(shown, input);
    },
  },
});

export const showSecret = defineVerb({
  name: "show-secret",
  request: z.object({ secret: z.string(), reveal: z.boolean() }),
  result: SecretsByID,
  handle: async (host, request) => (await userSecrets()).showSecret(host.model.state, request.secret, request.reveal),
  command: {
    usage: "show-secret <secret>",
    description: "a secret's details (by name or URI); its content only with --reveal",
    configure: (command) => command.option("--reveal", "include the content of the latest revision", false).option("--format <format>", "yaml or json", "yaml"),
    toRequest: (input) => ({ secret: input.string("secret"), reveal: input.boolean("reveal") }),
    print: printDetails,
  },
});
