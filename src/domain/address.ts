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

/** A member URL's scheme: https when peers and clients speak TLS (the `tls` option), http otherwise. */
export type Scheme = "http" | "https";

export const schemeFor = (tls: boolean): Scheme => (tls ? "https" : "http");

/** `http://ip:port` or `https://ip:port`, bracketing IPv6: every member URL the charm builds. */
export function memberUrl(address: string, port: number, scheme: Scheme): string {
  return `${scheme}://${urlHost(address)}:${port}`;
}

/** The scheme of a member URL the charm or etcd wrote; undefined for anything else. */
export function schemeOf(url: string | undefined): Scheme | undefined {
  const match = url === undefined ? null : /^(https?):\/\//.exec(url);
  return match ? (match[1] as Scheme) : undefined;
}

/**
 * `host:port` of a URL: what identifies a member's listener while its scheme moves between http and https
 * (a member keeps its address and ports through a TLS switch).
 */
export function endpointOf(url: string): string {
  return url.replace(/^[a-z]+:\/\//, "").replace(/\/+$/, "");
}

/** Whether `urls` holds a URL for the same listener as `url`, whatever either's scheme. */
export function hasEndpoint(urls: readonly string[], url: string): boolean {
  const endpoint = endpointOf(url);
  return urls.some((candidate) => endpointOf(candidate) === endpoint);
}

/**
 * Each URL under both schemes, https first: for a request made after waiting (a lock), when members may have
 * moved between http and https meanwhile. The cluster client asks one scheme at a time.
 */
export function underBothSchemes(urls: readonly string[]): string[] {
  const endpoints = [...new Set(urls.map(endpointOf))];
  return [...endpoints.map((e) => `https://${e}`), ...endpoints.map((e) => `http://${e}`)];
}
