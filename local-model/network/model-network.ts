import { createHash } from "node:crypto";
import { access, readdir, writeFile } from "node:fs/promises";
import { ModelError } from "../model-error.js";
import type { ModelState } from "../state.js";
import { missingNetworkRequirements } from "./host-requirements.js";
import { inNamespace, ip, ipRemove, NetworkCommandError } from "./ip-command.js";
import { isAbandonedModelBridge, ownerAlias } from "./model-owner.js";
import { hostAddress, MACHINE_INTERFACE, machineMac, namespacePath, NETNS_DIR, networkNames, type NetworkNames } from "./network-names.js";

/**
 * The model's network: every machine in its own network namespace, its address (`<subnet>.11`, …) on a veth
 * whose host end is a port of the model's bridge, so that the machines and the host reach each other and a
 * connection between machines comes from the machine's own address (the egress-subnets network-get reports,
 * contract §3.15). The host reaches each machine by a /32 route to the bridge (from `<subnet>.10`); every other
 * address of the subnet stays the host's loopback.
 * Addresses in 127.0.0.0/8 leave a namespace only with route_localnet set, on the bridge and in each
 * namespace. Partitions are blackhole routes inside the namespaces (partitions.ts decides which).
 */

/** What the model and the unit agents do with machines' networks. */
export interface MachineNetwork {
  /** Gives a new machine its namespace on the model's network; the namespace's name. */
  addMachine(address: string): Promise<string>;
  /** The machine is gone: its namespace, veth and route go too. */
  removeMachine(address: string): Promise<void>;
  /** Traffic between the two machines is dropped, both ways; the host still reaches both. */
  cut(first: string, second: string): Promise<void>;
  /** Traffic between the two machines flows again. */
  mend(first: string, second: string): Promise<void>;
}

const SUBNET = /^127\.(\d{1,3})\.(\d{1,3})$/;

function checkSubnet(subnet: string): void {
  const match = SUBNET.exec(subnet);
  if (!match || Number(match[1]) > 255 || Number(match[2]) > 255) throw new ModelError(`--subnet must be 127.a.b (a /24 of 127.0.0.0/8), got "${subnet}"`);
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

export class ModelNetwork implements MachineNetwork {
  private readonly names: NetworkNames;
  private readonly host: string;

  private constructor(
    private readonly subnet: string,
    uuid: string,
  ) {
    this.names = networkNames(uuid);
    this.host = hostAddress(subnet);
    // Locally administered (02:…), unicast, derived from the model so that a repaired bridge keeps it.
    const digest = createHash("sha256").update(uuid).digest();
    this.bridgeMac = ["02", ...[...digest.subarray(0, 5)].map((byte) => byte.toString(16).padStart(2, "0"))].join(":");
  }

  private readonly bridgeMac: string;

  /**
   * Sets up the model's network, or after a controller restart finds it and repairs what is missing (the
   * namespaces outlive the controller, not a host reboot): every machine's namespace, then the partitions.
   * Refuses with a ModelError what this host cannot do. Sets each unit's `namespace`.
   */
  static async open(state: ModelState): Promise<ModelNetwork> {
    const missing = await missingNetworkRequirements();
    if (missing) throw new ModelError(missing);
    checkSubnet(state.subnet);
    const network = new ModelNetwork(state.subnet, state.uuid);
    try {
      await network.ensureBridge();
      const units = Object.values(state.units);
      // Before the first machine, whether this host routes a machine's address to the bridge at all.
      if (units.length === 0) await network.probeRouting(`${state.subnet}.11`);
      for (const unit of units) unit.namespace = await network.addMachine(unit.address);
      for (const [first, second] of state.partitions ?? []) {
        const a = state.units[first];
        const b = state.units[second];
        if (a && b) await network.cut(a.address, b.address);
      }
    } catch (error) {
      if (Object.keys(state.units).length === 0) await removeModelNetwork(state.uuid).catch(() => {});
      throw error instanceof NetworkCommandError ? new ModelError(`cannot set up the model's network: ${error.message}`) : error;
    }
    return network;
  }

  private async ensureBridge(): Promise<void> {
    const { bridge } = this.names;
    // A route into this subnet through another device: another model (or a leftover of one) has it.
    const removed = new Set<string>();
    for (const line of (await ip("-o", "-4", "route", "show", "table", "main")).split("\n")) {
      const [destination = "", ...rest] = line.trim().split(/\s+/);
      const device = rest[rest.indexOf("dev") + 1];
      if (destination.startsWith(`${this.subnet}.`) && rest.includes("dev") && device !== bridge && !removed.has(device ?? "")) {
        if (device !== undefined && (await isAbandonedModelBridge(device))) {
          removed.add(device);
          process.stderr.write(`removing the network a dead model left on subnet ${this.subnet} (bridge ${device}; its controller is gone)\n`);
          await removeModelNetwork(device.slice("lmb".length));
          continue;
        }
        throw new ModelError(
          `the host already routes ${destination} to ${device}: another local model uses subnet ${this.subnet}; destroy it or choose another --subnet`,
        );
      }
    }
    if (!(await ip("-o", "link", "show").then((links) => links.includes(` ${bridge}:`)))) await ip("link", "add", bridge, "type", "bridge");
    // A fixed address: a bridge without one takes its lowest port's, which changes when that machine goes, and
    // the other machines' ARP entries for the host would point at a MAC that is gone until they expire.
    await ip("link", "set", bridge, "address", this.bridgeMac);
    await ip("link", "set", bridge, "alias", await ownerAlias());
    await ip("link", "set", bridge, "up");
    await ip("addr", "replace", `${this.host}/32`, "dev", bridge);
    await writeSysctl(undefined, [`net/ipv4/conf/${bridge}/route_localnet`]);
  }

  /** Adds the host's route to `address`, checks where the host sends it, and takes the route back. */
  private async probeRouting(address: string): Promise<void> {
    await this.routeToBridge(address);
    await ipRemove("route", "del", `${address}/32`, "dev", this.names.bridge);
  }

  /** The host's route to a machine: a /32 to the bridge, which must win over `local 127.0.0.0/8 dev lo`. */
  private async routeToBridge(address: string): Promise<void> {
    const { bridge } = this.names;
    const owner = / dev (\S+)/.exec(await ip("route", "get", address))?.[1];
    if (owner !== undefined && owner !== "lo" && owner !== bridge) {
      throw new ModelError(
        `the host already routes ${address} to ${owner}: another local model uses subnet ${this.subnet}; destroy it or choose another --subnet`,
      );
    }
    await ip("route", "replace", `${address}/32`, "dev", bridge, "src", this.host);
    const route = await ip("route", "get", address);
    if (route.startsWith("local ") || !route.includes(` dev ${bridge} `)) {
      await ipRemove("route", "del", `${address}/32`, "dev", bridge);
      throw new ModelError(
        `cannot give machines their own network: the host routes ${address} as "${route.split("\n")[0]?.trim()}", not to the model's bridge ${bridge} ` +
          "(custom `ip rule`s keep the local table ahead of the main one, so 127.0.0.0/8 always goes to lo)",
      );
    }
  }

  async addMachine(address: string): Promise<string> {
    const namespace = this.names.namespace(address);
    const hostLink = this.names.hostLink(address);
    const file = namespacePath(namespace);
    const linkPresent = await ip("-o", "link", "show", "dev", hostLink).then(
      () => true,
      () => false,
    );
    if (!(await exists(file)) || !linkPresent) {
      await this.removeLinks(namespace, hostLink);
      await ip("netns", "add", namespace);
      await ip("link", "add", hostLink, "type", "veth", "peer", "name", MACHINE_INTERFACE, "address", machineMac(address), "netns", namespace);
      await ip("link", "set", hostLink, "master", this.names.bridge, "up");
      await ip("-n", namespace, "link", "set", "lo", "up");
      await ip("-n", namespace, "link", "set", MACHINE_INTERFACE, "up");
      await writeSysctl(file, ["net/ipv4/conf/all/route_localnet", `net/ipv4/conf/${MACHINE_INTERFACE}/route_localnet`]);
      await ip("-n", namespace, "addr", "add", `${address}/24`, "dev", MACHINE_INTERFACE);
    }
    await this.routeToBridge(address);
    return namespace;
  }

  async removeMachine(address: string): Promise<void> {
    await this.removeLinks(this.names.namespace(address), this.names.hostLink(address));
    await ipRemove("route", "del", `${address}/32`, "dev", this.names.bridge);
  }

  private async removeLinks(namespace: string, hostLink: string): Promise<void> {
    // The host end first: that takes the pair away at once, even while a process still holds the namespace.
    await ipRemove("link", "del", hostLink);
    if (await exists(namespacePath(namespace))) await ipRemove("netns", "del", namespace);
  }

  async cut(first: string, second: string): Promise<void> {
    await ip("-n", this.names.namespace(first), "route", "replace", "blackhole", `${second}/32`);
    await ip("-n", this.names.namespace(second), "route", "replace", "blackhole", `${first}/32`);
  }

  async mend(first: string, second: string): Promise<void> {
    await ipRemove("-n", this.names.namespace(first), "route", "del", "blackhole", `${second}/32`);
    await ipRemove("-n", this.names.namespace(second), "route", "del", "blackhole", `${first}/32`);
  }

  /** The model is destroyed: every namespace, veth and the bridge go. */
  destroy(): Promise<void> {
    return removeModelNetwork(this.names.id);
  }
}

/** Sets the /proc/sys/net switches to 1, on the host (namespace undefined) or inside the namespace file. */
async function writeSysctl(namespace: string | undefined, keys: readonly string[]): Promise<void> {
  const script = keys.map((key) => `echo 1 > /proc/sys/${key}`).join(" && ");
  if (namespace) await inNamespace(namespace, script);
  else for (const key of keys) await writeFile(`/proc/sys/${key}`, "1\n");
}

/**
 * Removes whatever network a model left (its uuid, or the id networkNames derives from it): what `destroy`
 * runs, also without a controller. Nothing there is not an error.
 */
export async function removeModelNetwork(uuidOrId: string): Promise<void> {
  const names = networkNames(uuidOrId);
  const links = (await ip("-o", "link", "show").catch(() => ""))
    .split("\n")
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1] ?? "")
    .filter((name) => name.startsWith(names.hostLinkPrefix));
  for (const link of links) await ipRemove("link", "del", link);
  const namespaces = (await readdir(NETNS_DIR).catch(() => [] as string[])).filter((name) => name.startsWith(names.namespacePrefix));
  for (const namespace of namespaces) await ipRemove("netns", "del", namespace);
  await ipRemove("link", "del", names.bridge);
}
