import { z } from "zod";

/**
 * IP addresses and the URLs built from them, in one place: an IPv6 address is bracketed in every URL.
 * Pure (zod's address checks, not node:net), so the decision core can use it.
 */

const IPV4 = z.ipv4();
const IPV6 = z.ipv6();

export function isIPv4Address(value: string): boolean {
  return IPV4.safeParse(value).success;
}

export function isIPv6Address(value: string): boolean {
  return IPV6.safeParse(value).success;
}

export function isIpAddress(value: string): boolean {
  return isIPv4Address(value) || isIPv6Address(value);
}

/** A unicast IP address to listen on: never the unspecified address (0.0.0.0, ::), never a host name or zone. */
export function isListenAddress(address: string): boolean {
  if (/^[0-9.]+$/.test(address)) return isIPv4Address(address) && address !== "0.0.0.0";
  return /^[0-9A-Fa-f:.]+$/.test(address) && isIPv6Address(address) && !/^[0:]+$/.test(address);
}

/** The host part of a URL for an address: IPv6 in brackets. */
export function urlHost(address: string): string {
  return isIPv6Address(address) ? `[${address}]` : address;
}

/** `http://ip:port`, bracketing IPv6: every member URL the charm builds. */
export function memberUrl(address: string, port: number): string {
  return `http://${urlHost(address)}:${port}`;
}
