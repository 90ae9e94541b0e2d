/**
 * The main job: packs the charm, deploys three units of it into a local model (./.local-model) running
 * real etcd on 127.0.0.x, waits for the cluster, prints its status and an etcdctl line that reaches it.
 * The model keeps running afterwards: `npx local-model status`, `npx local-model destroy`.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { repoRoot } from "./build.js";
import { packCharms } from "./pack.js";

const modelDir = path.join(repoRoot, ".local-model");
const cli = path.join(repoRoot, "local-model", "bin", "local-model.mjs");
const localModel = (...args: string[]) =>
  execa(process.execPath, [cli, "-m", modelDir, "--timeout", "600", ...args], { stdio: "inherit", env: { NODE_EXTRA_CA_CERTS: "" } });

const charms = await packCharms();
for (const file of charms) {
  const { size } = await stat(file);
  console.log(`packed ${path.relative(repoRoot, file)} (${(size / 1024 / 1024).toFixed(1)} MiB)`);
}
const charm = charms.find((file) => file.includes("24.04"))!;

console.log(`\nreplacing any previous model in ${path.relative(repoRoot, modelDir)}`);
await localModel("destroy");
console.log(`deploying 3 units of ${path.basename(charm)}; this waits until the model is idle`);
const started = Date.now();
await localModel("deploy", charm, "-n", "3");
console.log(`\nmodel idle after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
await localModel("status");

const { stdout } = await execa(process.execPath, [cli, "-m", modelDir, "status", "--format=json"], { env: { NODE_EXTRA_CA_CERTS: "" } });
const units = (JSON.parse(stdout) as { applications: { etcd: { units: Record<string, { "public-address": string }> } } }).applications.etcd.units;
const endpoints = Object.values(units)
  .map((unit) => `http://${unit["public-address"]}:2379`)
  .join(",");
console.log(`\nThe cluster answers on:\n  ETCDCTL_API=3 etcdctl --endpoints=${endpoints} endpoint status -w table`);
await execa("etcdctl", [`--endpoints=${endpoints}`, "endpoint", "status", "-w", "table"], { stdio: "inherit", env: { ETCDCTL_API: "3" } });
console.log(`\nMore: npx local-model status | run etcd/0 health | add-unit etcd -n 2 | debug-log | destroy`);
