import path from "node:path";

/**
 * Names of a model's network objects, from the model's uuid so that models running side by side never
 * collide: the bridge `lmb<id>`, and per machine the namespace `lm-<id>-<n>` and the host's end of its veth
 * `lmv<id><n>`, where <id> is the uuid's first 8 hex digits and <n> the last octet of the machine's address
 * (addresses are never reused in a model). Interface names stay within Linux's 15 characters.
 */

/** Where `ip netns` keeps its namespaces, and where nsenter enters them. */
export const NETNS_DIR = "/run/netns";

/** The machine's interface inside its namespace. */
export const MACHINE_INTERFACE = "eth0";

export interface NetworkNames {
  /** The uuid's first 8 hex digits; every name of the model contains it. */
  readonly id: string;
  readonly bridge: string;
  /** Every namespace of the model starts with this. */
  readonly namespacePrefix: string;
  /** Every host-side veth of the model starts with this. */
  readonly hostLinkPrefix: string;
  namespace(address: string): string;
  hostLink(address: string): string;
}

const lastOctet = (address: string) => address.slice(address.lastIndexOf(".") + 1);

export function networkNames(uuid: string): NetworkNames {
  const id = uuid.replace(/-/g, "").slice(0, 8);
  const namespacePrefix = `lm-${id}-`;
  const hostLinkPrefix = `lmv${id}`;
  return {
    id,
    bridge: `lmb${id}`,
    namespacePrefix,
    hostLinkPrefix,
    namespace: (address) => `${namespacePrefix}${lastOctet(address)}`,
    hostLink: (address) => `${hostLinkPrefix}${lastOctet(address)}`,
  };
}

/**
 * The MAC of a machine's interface, from its address (locally administered, 02:00:<the 4 octets>): a machine
 * whose namespace is made again (after a host reboot) keeps it, so the other machines' ARP caches stay right.
 */
export const machineMac = (address: string) =>
  `02:00:${address
    .split(".")
    .map((octet) => Number(octet).toString(16).padStart(2, "0"))
    .join(":")}`;

/** The file nsenter enters a namespace by. */
export const namespacePath = (namespace: string) => path.join(NETNS_DIR, namespace);

/**
 * The host's address on the model's network: `<subnet>.10`, below the machines' `.11` and up. Not `.1`:
 * in the default subnet 127.0.0 that is every namespace's own loopback address.
 */
export const hostAddress = (subnet: string) => `${subnet}.10`;
