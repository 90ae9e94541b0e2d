import { readFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/build.js";
import { LocalModelFixture, localModelBin, probeOutput, testCharm } from "./harness.js";

/**
 * Each unit is a machine on a network (local-model/network/): its own network namespace, its address on a
 * link the host and the other machines reach, so that connections between units come from the units' own
 * addresses, as between Juju's machines: the egress-subnets network-get reports (contract §3.15, `<address>/32`)
 * is then what the other units really see.
 * Hooks, actions, `exec` and the services the simulated systemd starts all run in the namespace. The
 * `partition` and `heal` verbs (fault injection, not Juju's) cut and mend unit-to-unit traffic.
 */

const SUBNET = "127.0.29";
const PORT = 7000;
const tcpPeer = path.join(repoRoot, "test", "helpers", "tcp-peer.mjs");
const address = (unit: number) => `${SUBNET}.${11 + unit}`;
/** The host's own address on the model's network. */
const HOST = `${SUBNET}.10`;
/** Polls until the check holds (a service starting, a process ending), for up to 10 s. */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("timed out waiting");
}
const ask = (target: string) => `${process.execPath} ${tcpPeer} ask ${target} ${PORT}`;

describe("units as machines on a network", () => {
  let model: LocalModelFixture;
  /** What the unit's machine is told when it connects to the target (its own address, or an error code), from `exec`. */
  const askFrom = async (unit: number, target: string) => (await model.run("exec", "--unit", `recorder/${unit}`, "--", ask(target))).stdout.trim();
  /** The same, from the host. */
  const askFromHost = async (target: string) => (await execa(process.execPath, [tcpPeer, "ask", target, String(PORT)], { reject: false })).stdout.trim();
  const partitions = async () => ((await model.status()) as unknown as { partitions?: Record<string, string[]> }).partitions;

  beforeAll(async () => {
    model = await LocalModelFixture.create(SUBNET, 3);
    await model.ok("deploy", testCharm("recorder"), "-n", "3");
    // On every machine a service (started by the simulated systemd) that answers with the caller's address.
    for (const unit of [0, 1, 2]) {
      const unitFile = `[Service]\\nExecStart=${process.execPath} ${tcpPeer} serve ${address(unit)} ${PORT}\\n[Install]\\nWantedBy=multi-user.target\\n`;
      await model.ok(
        "exec",
        "--unit",
        `recorder/${unit}`,
        "--",
        `mkdir -p "$UNIT_FS_ROOT/etc/systemd/system" && printf '${unitFile}' > "$UNIT_FS_ROOT/etc/systemd/system/peer.service" && systemctl daemon-reload && systemctl enable --now peer.service`,
      );
    }
    for (const unit of [0, 1, 2]) await waitUntil(async () => (await askFromHost(address(unit))) === HOST);
  });
  afterAll(async () => {
    await model.destroy();
  });

  it("a connection from one unit to another comes from the unit's own address (exec, actions and hooks alike)", async () => {
    expect(await askFrom(0, address(1))).toBe(address(0));
    expect(await askFrom(2, address(0))).toBe(address(2));
    const action = JSON.parse(await model.ok("run", "recorder/1", "exec", `command=${ask(address(2))}`, "--format=json"));
    expect(action["recorder/1"].results.stdout.trim()).toBe(address(1));
    await model.ok("config", "recorder", "probe-hook=config-changed", `probe=${ask(address(2))}`);
    const runs = await model.hookRuns();
    const lastConfigChanged = (unit: string) => runs.filter((run) => run.unit === unit && run.hook === "config-changed").at(-1);
    expect(probeOutput(lastConfigChanged("recorder/0")?.entry.stdout ?? "")).toEqual([address(0)]);
    expect(probeOutput(lastConfigChanged("recorder/1")?.entry.stdout ?? "")).toEqual([address(1)]);
    await model.ok("config", "recorder", "--reset", "probe-hook,probe");
  });

  it("the host reaches every unit, from its own address on the model's network", async () => {
    for (const unit of [0, 1, 2]) expect(await askFromHost(address(unit))).toBe(HOST);
    // And a machine reaches itself at its own address.
    expect(await askFrom(0, address(0))).toBe(address(0));
  });

  it("a second model on the same subnet is refused while this one lives, and this one keeps working", async () => {
    const other = await LocalModelFixture.create(SUBNET, 4);
    const result = await other.run("status");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^ERROR the model controller did not start: the host already routes 127\.0\.29\.1[123] to lmb[0-9a-f]{8}: another local model uses subnet 127\.0\.29; destroy it or choose another --subnet; see \S+controller\.log$/,
    );
    await other.destroy();
    expect(await askFromHost(address(0))).toBe(HOST);
  });

  it("unit-get and network-get still answer the unit's address (contract §3.14, §3.15)", async () => {
    expect((await model.ok("exec", "--unit", "recorder/1", "--", "unit-get private-address")).trim()).toBe(address(1));
    const bind = await model.ok("exec", "--unit", "recorder/1", "--", "network-get ring --bind-address");
    expect(bind.trim()).toBe(address(1));
    expect((await model.ok("exec", "--unit", "recorder/1", "--", "network-get ring --egress-subnets")).trim()).toBe(`${address(1)}/32`);
  });

  it("partition cuts the named unit off from every other unit, both ways, while the host still reaches each", async () => {
    expect(await model.ok("partition", "recorder/0")).toBe("cut recorder/0 <-> recorder/1\ncut recorder/0 <-> recorder/2");
    expect(await askFrom(0, address(1))).toBe("EINVAL");
    expect(await askFrom(1, address(0))).toBe("EINVAL");
    expect(await askFrom(2, address(0))).toBe("EINVAL");
    // The other units still reach each other; the host reaches all three.
    expect(await askFrom(1, address(2))).toBe(address(1));
    for (const unit of [0, 1, 2]) expect(await askFromHost(address(unit))).toBe(HOST);
    expect(await partitions()).toEqual({ "recorder/0": ["recorder/1", "recorder/2"], "recorder/1": ["recorder/0"], "recorder/2": ["recorder/0"] });
    const table = await model.ok("status");
    expect(table.split("\n\n").at(-1)).toBe(
      "Partitioned unit  Cannot reach\nrecorder/0        recorder/1,recorder/2\nrecorder/1        recorder/0\nrecorder/2        recorder/0",
    );
  });

  it("heal mends every partition: the units reach each other again", async () => {
    expect(await model.ok("heal")).toBe("healed recorder/0 <-> recorder/1\nhealed recorder/0 <-> recorder/2");
    expect(await askFrom(0, address(1))).toBe(address(0));
    expect(await askFrom(2, address(0))).toBe(address(2));
    expect(await partitions()).toBeUndefined();
    expect(await model.ok("status")).not.toContain("Partitioned unit");
  });

  it("partition --from cuts only between the two sides; heal <unit> mends only that unit's pairs", async () => {
    expect(await model.ok("partition", "recorder/0", "recorder/1", "--from", "recorder/2")).toBe(
      "cut recorder/0 <-> recorder/2\ncut recorder/1 <-> recorder/2",
    );
    expect(await askFrom(0, address(1))).toBe(address(0));
    expect(await askFrom(2, address(1))).toBe("EINVAL");
    expect(await model.ok("heal", "recorder/0")).toBe("healed recorder/0 <-> recorder/2");
    expect(await askFrom(2, address(0))).toBe(address(2));
    expect(await askFrom(2, address(1))).toBe("EINVAL");
    expect(await partitions()).toEqual({ "recorder/1": ["recorder/2"], "recorder/2": ["recorder/1"] });
    await model.ok("heal");
  });

  it("bad partition and heal arguments fail with a message and change nothing", async () => {
    await model.ok("partition", "recorder/2", "--from", "recorder/0");
    const refusals: Array<[string[], string]> = [
      [["partition", "recorder/1", "nosuch/0"], 'unit "nosuch/0" not found'],
      [["partition", "recorder/1", "--from", "recorder/0,nosuch/7"], 'unit "nosuch/7" not found'],
      [["partition", "recorder/1", "--from", "recorder/1"], 'partition: unit "recorder/1" is on both sides'],
      [["partition", "recorder/0", "recorder/1", "recorder/2"], "partition: there is no other unit to cut recorder/0, recorder/1, recorder/2 off from"],
      [["heal", "recorder/1"], 'heal: unit "recorder/1" is not partitioned from any unit'],
      [["heal", "recorder/2", "nosuch/0"], 'unit "nosuch/0" not found'],
    ];
    for (const [args, message] of refusals) {
      const result = await model.run(...args);
      expect(result.exitCode, args.join(" ")).toBe(1);
      expect(result.stderr, args.join(" ")).toBe(`ERROR ${message}`);
    }
    const missing = await model.run("partition");
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("missing required argument 'units'");
    expect(await partitions()).toEqual({ "recorder/0": ["recorder/2"], "recorder/2": ["recorder/0"] });
    expect(await askFrom(1, address(0))).toBe(address(1));
    expect(await askFrom(1, address(2))).toBe(address(1));
    expect(await askFrom(0, address(2))).toBe("EINVAL");
    await model.ok("heal");
  });

  it("a rebooted machine keeps its network: its service starts again on its address", async () => {
    const pid = async () => (await model.ok("exec", "--unit", "recorder/1", "--", "systemctl show -p MainPID --value peer.service")).trim();
    const before = await pid();
    await model.ok("config", "recorder", "probe-hook=config-changed", `probe=[ "$JUJU_UNIT_NAME" = recorder/1 ] && juju-reboot; true`);
    expect(await pid()).not.toBe(before);
    await waitUntil(async () => (await askFrom(0, address(1))) === address(0));
    expect(await askFromHost(address(1))).toBe(HOST);
    await model.ok("config", "recorder", "--reset", "probe-hook,probe");
  });

  it("a restarted controller finds the machines' network again, partitions included, and makes what went missing", async () => {
    await model.ok("partition", "recorder/0", "--from", "recorder/1");
    const pid = Number(await readFile(path.join(model.dir, "controller.pid"), "utf8"));
    process.kill(pid, "SIGTERM");
    await waitUntil(async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    // As after a host reboot, recorder/2's namespace and veth are gone.
    const { uuid } = JSON.parse(await readFile(path.join(model.dir, "state.json"), "utf8")) as { uuid: string };
    const id = uuid.replace(/-/g, "").slice(0, 8);
    await execa("ip", ["link", "del", `lmv${id}13`]);
    await execa("ip", ["netns", "del", `lm-${id}-13`]);
    expect(await askFromHost(address(2))).not.toBe(HOST);
    // The next verb starts the controller again; it starts the enabled services on each machine.
    expect(await partitions()).toEqual({ "recorder/0": ["recorder/1"], "recorder/1": ["recorder/0"] });
    await waitUntil(async () => (await askFromHost(address(2))) === HOST);
    expect(await askFrom(0, address(1))).toBe("EINVAL");
    expect(await askFrom(0, address(2))).toBe(address(0));
    await model.ok("heal");
    expect(await askFrom(0, address(1))).toBe(address(0));
  });

  it("a removed unit's machine leaves the network, and its partitions go with it", async () => {
    await model.ok("partition", "recorder/2");
    await model.ok("remove-unit", "recorder/2");
    expect(await partitions()).toBeUndefined();
    expect(await askFromHost(address(2))).toBe("ECONNREFUSED");
    expect(await askFrom(0, address(1))).toBe(address(0));
  });
});

/** The model's namespaces, links and host routes as the host lists them (names from network-names.ts). */
async function networkObjects(modelDir: string, subnet: string): Promise<string[]> {
  const { uuid } = JSON.parse(await readFile(path.join(modelDir, "state.json"), "utf8")) as { uuid: string };
  const id = uuid.replace(/-/g, "").slice(0, 8);
  const namespaces = (await execa("ip", ["netns", "list"])).stdout.split("\n").filter((line) => line.includes(id));
  const links = (await execa("ip", ["-o", "link", "show"])).stdout.split("\n").filter((line) => line.includes(id));
  const routes = (await execa("ip", ["-o", "route", "show"])).stdout.split("\n").filter((line) => line.startsWith(`${subnet}.`));
  return [...namespaces, ...links, ...routes].map((line) => line.trim());
}

describe("the model's network goes with the model", () => {
  it("destroy removes every namespace, veth, route and the bridge", async () => {
    const model = await LocalModelFixture.create("127.0.30", 1);
    await model.ok("deploy", testCharm("recorder"), "-n", "2");
    await model.ok("partition", "recorder/0");
    const { uuid } = JSON.parse(await readFile(path.join(model.dir, "state.json"), "utf8")) as { uuid: string };
    const id = uuid.replace(/-/g, "").slice(0, 8);
    const before = await networkObjects(model.dir, "127.0.30");
    expect(before.filter((line) => line.startsWith(`lm-${id}-`))).toHaveLength(2);
    expect(before.filter((line) => line.includes(`lmv${id}`))).toHaveLength(2);
    expect(before.filter((line) => line.includes(`lmb${id}:`))).toHaveLength(1);
    await model.ok("destroy");
    expect((await execa("ip", ["netns", "list"])).stdout).not.toContain(id);
    expect((await execa("ip", ["-o", "link", "show"])).stdout).not.toContain(id);
    expect((await execa("ip", ["-o", "route", "show"])).stdout).not.toContain("127.0.30.");
    await model.destroy();
  });

  it("destroy after the controller died removes what it left", async () => {
    const model = await LocalModelFixture.create("127.0.30", 2);
    await model.ok("deploy", testCharm("recorder"));
    const pid = Number(await readFile(path.join(model.dir, "controller.pid"), "utf8"));
    const { uuid } = JSON.parse(await readFile(path.join(model.dir, "state.json"), "utf8")) as { uuid: string };
    process.kill(pid, "SIGKILL");
    // Its namespace, the veth and the bridge, the host's route to the machine.
    expect(await networkObjects(model.dir, "127.0.30")).toHaveLength(4);
    await model.ok("destroy");
    const id = uuid.replace(/-/g, "").slice(0, 8);
    expect((await execa("ip", ["netns", "list"])).stdout).not.toContain(id);
    expect((await execa("ip", ["-o", "link", "show"])).stdout).not.toContain(id);
    expect((await execa("ip", ["-o", "route", "show"])).stdout).not.toContain("127.0.30.");
    await model.destroy();
  });

  it("a model whose controller was killed leaves its network; a new model on that subnet removes it, saying so, and starts", async () => {
    const dead = await LocalModelFixture.create("127.0.30", 5);
    await dead.ok("deploy", testCharm("recorder"));
    const pid = Number(await readFile(path.join(dead.dir, "controller.pid"), "utf8"));
    const { uuid } = JSON.parse(await readFile(path.join(dead.dir, "state.json"), "utf8")) as { uuid: string };
    const id = uuid.replace(/-/g, "").slice(0, 8);
    process.kill(pid, "SIGKILL");
    const next = await LocalModelFixture.create("127.0.30", 6);
    await next.ok("deploy", testCharm("recorder"));
    expect(await readFile(path.join(next.dir, "controller.log"), "utf8")).toContain(
      `removing the network a dead model left on subnet 127.0.30 (bridge lmb${id}; its controller is gone)`,
    );
    expect((await execa("ip", ["-o", "link", "show"])).stdout).not.toContain(id);
    expect((await execa("ip", ["netns", "list"])).stdout).not.toContain(id);
    expect(await networkObjects(next.dir, "127.0.30")).toHaveLength(4);
    await next.destroy();
    await dead.destroy();
  });

  it("a model is refused at creation, naming what is missing, when the host cannot give machines a network", async () => {
    const model = await LocalModelFixture.create("127.0.35", 1);
    // Root without CAP_NET_ADMIN and CAP_SYS_ADMIN, as in an unprivileged container.
    const result = await execa(
      "setpriv",
      ["--bounding-set=-net_admin,-sys_admin", "--", process.execPath, localModelBin, "-m", model.dir, "--subnet", "127.0.35", "status"],
      {
        reject: false,
        env: { NODE_EXTRA_CA_CERTS: "" },
      },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      "ERROR cannot run the model: each machine gets its own network namespace, which needs CAP_NET_ADMIN and CAP_SYS_ADMIN (run the local model as root)",
    );
    await expect(readFile(path.join(model.dir, "state.json"), "utf8")).rejects.toThrow(/ENOENT/);
    expect((await execa("ip", ["-o", "route", "show"])).stdout).not.toContain("127.0.35.");
    await model.destroy();
  });
});
