/**
 * The client half of every hook tool (and of each unit's `systemctl`): forwards argv, and stdin when the
 * tool reads it, to the model controller over its Unix socket and reproduces the answer: stdout, stderr,
 * exit code (contract §2.1). Bundled to one small file the tool wrappers run.
 */
import { request } from "node:http";

interface Answer {
  code: number;
  stdout: string;
  stderr: string;
}

function fail(message: string): never {
  process.stderr.write(`ERROR ${message}\n`);
  process.exit(1);
}

/** Only `--file -` (relation-set, state-set, secret-*) makes a tool read stdin; others never block on it. */
function wantsStdin(args: readonly string[]): boolean {
  return args.some((arg, i) => arg === "--file=-" || ((arg === "--file" || arg === "-f") && args[i + 1] === "-"));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function post(socketPath: string, route: string, body: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: route, method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Answer);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

async function main(): Promise<void> {
  const [mode, name, ...args] = process.argv.slice(2);
  let answer: Answer;
  if (mode === "tool" && name) {
    const contextId = process.env.JUJU_CONTEXT_ID;
    const socket = process.env.JUJU_AGENT_SOCKET_ADDRESS;
    if (!contextId) fail("JUJU_CONTEXT_ID not set");
    if (!socket) fail("JUJU_AGENT_SOCKET_ADDRESS not set");
    const stdin = wantsStdin(args) ? await readStdin() : undefined;
    answer = await post(socket, "/tool", { contextId, tool: name, args, stdin }).catch((error: Error) =>
      fail(`cannot reach the unit agent: ${error.message}`),
    );
  } else if (mode === "systemctl" && name) {
    const socket = process.env.LOCAL_MODEL_SOCKET;
    if (!socket) fail("LOCAL_MODEL_SOCKET not set");
    answer = await post(socket, "/systemctl", { unit: name, args }).catch((error: Error) =>
      fail(`Failed to connect to bus: ${error.message}`),
    );
  } else {
    fail("usage: jujuc tool <name> [args…] | jujuc systemctl <unit> [args…]");
  }
  process.stdout.write(answer.stdout);
  process.stderr.write(answer.stderr);
  process.exitCode = answer.code;
}

await main();
