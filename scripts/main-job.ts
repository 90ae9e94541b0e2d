/**
 * The main job: packs the charm, deploys three units of it into a local model (./.local-model) running
 * real etcd on 127.0.0.x, waits for the cluster, prints its status and an etcdctl line that reaches it.
 * The model keeps running afterwards: `npx local-model status`, `npx local-model destroy`.
 */
import { mkdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { repoRoot } from "./build.js";
import { charmFileName, packCharms } from "./pack.js";

const modelDir = path.join(repoRoot, ".local-model");
const cli = path.join(repoRoot, "local-model", "bin", "local-model.mjs");
const localModel = (...args: string[]) =>
  execa(process.execPath, [cli, "-m", modelDir, "--timeout", "600", ...args], { stdio: "inherit", env: { NODE_EXTRA_CA_CERTS: "" } });

const charms = await packCharms();
for (const file of charms) {
  const { size } = await stat(file);
  console.log(`packed ${path.relative(repoRoot, file)} (${(size / 1024 / 1024).toFixed(1)} MiB)`);
}
const charm = charms.find((file) => path.basename(file) === charmFileName("24.04/amd64"))!;

console.log(`\nreplacing any previous model in ${path.relative(repoRoot, modelDir)}`);
await localModel("destroy");
console.log(`deploying 3 units of ${path.basename(charm)}; this waits until the model is idle`);
const started = Date.now();
await localModel("deploy", charm, "-n", "3");
console.log(`\nmodel idle after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
await localModel("status");

// The cluster speaks mutual TLS: an operator takes a client identity from the client-credentials action.
const { stdout } = await execa(process.execPath, [cli, "-m", modelDir, "run", "etcd/0", "client-credentials", "name=operator", "--format=json"], {
  env: { NODE_EXTRA_CA_CERTS: "" },
});
const results = (JSON.parse(stdout) as Record<string, { results: Record<string, string> }>)["etcd/0"]!.results;
const clientDir = path.join(modelDir, "etcd-client");
await mkdir(clientDir, { recursive: true, mode: 0o700 });
const files = { ca: path.join(clientDir, "ca.pem"), cert: path.join(clientDir, "client.pem"), key: path.join(clientDir, "client.key") };
await writeFile(files.ca, results["ca-certificate"]!, { mode: 0o600 });
await writeFile(files.cert, results.certificate!, { mode: 0o600 });
await writeFile(files.key, results["private-key"]!, { mode: 0o600 });
const flags = [
  `--endpoints=${results.endpoints}`,
  `--cacert=${path.relative(repoRoot, files.ca)}`,
  `--cert=${path.relative(repoRoot, files.cert)}`,
  `--key=${path.relative(repoRoot, files.key)}`,
];
console.log(`\nThe cluster answers over mutual TLS, with the identity the client-credentials action issued (in ${path.relative(repoRoot, clientDir)}/):`);
console.log(`  ETCDCTL_API=3 etcdctl ${flags.join(" ")} endpoint status -w table`);
await execa("etcdctl", [...flags, "endpoint", "status", "-w", "table"], { stdio: "inherit", env: { ETCDCTL_API: "3" }, cwd: repoRoot });
console.log(`\nMore: npx local-model status | run etcd/0 health | add-unit etcd -n 2 | config etcd tls=false | debug-log | destroy`);
