import { X509Certificate } from "node:crypto";
import { z } from "zod";
import { isIpAddress } from "../domain/address.js";

/**
 * The `s3` relation (v0, s3-integrator the provider; interfaces §3.1): the provider's application databag turned
 * into settings for an S3 client, or the list of what is wrong with it. Relation data is untrusted: nothing here
 * throws on bad input, and no problem ever shows a value that contains the secret key. Pure (no I/O): it can run
 * in any hook, in the main bundle; the S3 client itself lives in ./object-store.ts.
 *
 * Normalised as the other consumers do (interfaces §3.3): values trimmed, the endpoint without trailing slashes,
 * bucket and path without leading or trailing slashes; an empty value is an absent one (s3-integrator skips empty
 * options, but a hand-written bag may carry them).
 *
 * Defaults: endpoint https://s3.amazonaws.com and region us-east-1 (charmed-postgresql's); s3-uri-style `host`
 * on AWS (where path-style is deprecated) but `path` for any other endpoint, since MinIO, Ceph RGW and most
 * self-hosted servers are reached by IP or by a name without wildcard DNS, where only path-style works.
 */

export const DEFAULT_ENDPOINT = "https://s3.amazonaws.com";
export const DEFAULT_REGION = "us-east-1";

export type S3UriStyle = "path" | "host";

/** An extra HTTP header to send with every upload (the provider's `attributes`). */
export interface S3Attribute {
  readonly name: string;
  readonly value: string;
}

export interface S3Settings {
  readonly bucket: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** `http(s)://host[:port][/base]`, no trailing slash. */
  readonly endpoint: string;
  readonly region: string;
  /** Object key prefix inside the bucket, no leading or trailing slash; "" for the bucket's root. */
  readonly path: string;
  readonly uriStyle: S3UriStyle;
  /** PEM certificates to trust for an https endpoint, one certificate each; empty for the system's CAs. */
  readonly tlsCaChain: readonly string[];
  readonly storageClass: string | undefined;
  readonly attributes: readonly S3Attribute[];
}

export type S3SettingsResult = { readonly ok: true; readonly settings: S3Settings } | { readonly ok: false; readonly problems: string[] };

/** The v0 keys as they arrive: strings, any of them missing. Unknown keys (`data`, `delete-older-than-days`) are ignored. */
export const S3Databag = z.object({
  bucket: z.string().optional(),
  "access-key": z.string().optional(),
  "secret-key": z.string().optional(),
  endpoint: z.string().optional(),
  region: z.string().optional(),
  path: z.string().optional(),
  "s3-uri-style": z.string().optional(),
  "tls-ca-chain": z.string().optional(),
  "s3-api-version": z.string().optional(),
  "storage-class": z.string().optional(),
  attributes: z.string().optional(),
});

/** AWS's rules, loosened as other servers allow (upper case, underscore): path-style reaches any of them. */
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$/;
const REGION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const STORAGE_CLASS = /^[A-Za-z0-9_-]{1,64}$/;
/** RFC 9110 token: a header name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CONTROL = /\p{Cc}/u;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

export function parseS3Settings(appBag: Record<string, string>): S3SettingsResult {
  const bag = S3Databag.safeParse(appBag);
  if (!bag.success) return { ok: false, problems: bag.error.issues.map((issue) => `${issue.path.join(".") || "databag"}: ${issue.message}`) };
  const raw = bag.data;
  const problems: string[] = [];
  const secretKey = present(raw["secret-key"]);
  // Every value shown in a problem goes through here: one that contains the secret key is never shown.
  const show = (value: string) => (secretKey && value.includes(secretKey) ? "(a value that contains the secret key)" : JSON.stringify(clip(value)));

  const bucket = present(raw.bucket)?.replace(/^\/+|\/+$/g, "");
  if (!bucket) problems.push("bucket is missing");
  else if (!BUCKET.test(bucket)) problems.push(`bucket ${show(bucket)} is not a bucket name (3 to 63 letters, digits, ".", "_" or "-")`);

  const accessKey = present(raw["access-key"]);
  if (!accessKey) problems.push("access-key is missing");
  else if (/\s/.test(accessKey) || CONTROL.test(accessKey)) problems.push("access-key contains white space or control characters");
  if (!secretKey) problems.push("secret-key is missing");
  else if (CONTROL.test(secretKey)) problems.push("secret-key contains control characters");

  const endpoint = parseEndpoint(present(raw.endpoint), show, problems);
  const region = present(raw.region) ?? DEFAULT_REGION;
  if (!REGION.test(region)) problems.push(`region ${show(region)} is not a region name`);

  const path = (present(raw.path) ?? "").replace(/^\/+|\/+$/g, "");
  if (path !== "" && (path.length > 512 || CONTROL.test(path) || path.split("/").some((segment) => segment === "" || segment === "." || segment === "..")))
    problems.push(`path ${show(path)} is not a key prefix (no empty, "." or ".." segments, no control characters)`);

  const uriStyle = parseUriStyle(present(raw["s3-uri-style"]), endpoint, show, problems);

  const apiVersion = present(raw["s3-api-version"])?.replace(/^"|"$/g, "");
  // The client signs with Signature V4 only (AWS dropped V2); a server that needs V2 cannot be used.
  if (apiVersion !== undefined && !["4", "v4", "V4", "s3v4"].includes(apiVersion))
    problems.push(`s3-api-version ${show(apiVersion)} is not supported: only 4 (Signature Version 4)`);

  const storageClass = present(raw["storage-class"]);
  if (storageClass !== undefined && !STORAGE_CLASS.test(storageClass)) problems.push(`storage-class ${show(storageClass)} is not a storage class name`);

  const tlsCaChain = parseCaChain(present(raw["tls-ca-chain"]), problems);
  const attributes = parseAttributes(present(raw.attributes), show, problems);

  if (problems.length > 0 || !bucket || !accessKey || !secretKey || !endpoint) return { ok: false, problems };
  return { ok: true, settings: { bucket, accessKey, secretKey, endpoint, region, path, uriStyle, tlsCaChain, storageClass, attributes } };
}

/** Where a bucket's snapshots are, for people (status lines, results, errors): no credentials in it. */
export function describeLocation({ bucket, path, endpoint }: Pick<S3Settings, "bucket" | "path" | "endpoint">): string {
  return `bucket "${bucket}"${path ? ` path "${path}"` : ""} at ${endpoint}`;
}

/** Whether an endpoint is AWS's own (where host-style addressing is the norm). */
export const isAwsEndpoint = (endpoint: string) => /(^|\.)amazonaws\.com(\.cn)?$/.test(new URL(endpoint).hostname);

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function clip(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}

function parseEndpoint(value: string | undefined, show: (v: string) => string, problems: string[]): string | undefined {
  if (value === undefined) return DEFAULT_ENDPOINT;
  // Not guessed: "minio:9000" is a URL whose scheme is "minio", and a bare host could mean http or https.
  if (!/^https?:\/\//i.test(value)) {
    problems.push(`endpoint ${show(value)} does not start with http:// or https://`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`endpoint ${show(value)} is not a URL`);
    return undefined;
  }
  // A URL with a user or password would put a credential into every message that names the endpoint.
  if (url.username || url.password) {
    problems.push("endpoint carries a user name or password; give the credentials as access-key and secret-key");
    return undefined;
  }
  if (!url.hostname || url.search || url.hash) {
    problems.push(`endpoint ${show(value)} is not a server's URL (a host, no query or fragment)`);
    return undefined;
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

function parseUriStyle(value: string | undefined, endpoint: string | undefined, show: (v: string) => string, problems: string[]): S3UriStyle {
  const fallback: S3UriStyle = endpoint === undefined || isAwsEndpoint(endpoint) ? "host" : "path";
  if (value === undefined) return fallback;
  const style = value.toLowerCase();
  if (style !== "path" && style !== "host") {
    problems.push(`s3-uri-style ${show(value)} is neither "path" nor "host"`);
    return fallback;
  }
  // host-style puts the bucket in front of the host name: an IP address cannot take it.
  if (style === "host" && endpoint !== undefined && isIpAddress(new URL(endpoint).hostname.replace(/^\[|\]$/g, "")))
    problems.push(`s3-uri-style "host" needs an endpoint with a DNS name, not the IP address in ${show(endpoint)}`);
  return style;
}

/**
 * A JSON list of PEM strings as s3-integrator writes it; also, as the v1 draft's example and hand-written bags
 * have it, one JSON string or a bare PEM bundle, and entries in base64 (the schema's example).
 */
function parseCaChain(value: string | undefined, problems: string[]): string[] {
  if (value === undefined) return [];
  let entries: unknown;
  try {
    entries = JSON.parse(value);
  } catch {
    entries = [value];
  }
  if (typeof entries === "string") entries = [entries];
  const listed = z.array(z.string()).max(64).safeParse(entries);
  if (!listed.success) {
    problems.push("tls-ca-chain is not a JSON list of PEM certificates");
    return [];
  }
  const certificates: string[] = [];
  listed.data.forEach((entry, index) => {
    const text = entry.includes("-----BEGIN") ? entry : Buffer.from(entry.trim(), "base64").toString("utf8");
    const pems = text.replace(/\r\n/g, "\n").match(PEM_CERTIFICATE) ?? [];
    if (pems.length === 0) problems.push(`tls-ca-chain entry ${index + 1} holds no PEM certificate`);
    for (const pem of pems) {
      try {
        new X509Certificate(pem);
        certificates.push(`${pem}\n`);
      } catch {
        problems.push(`tls-ca-chain entry ${index + 1} holds a certificate that does not parse`);
      }
    }
  });
  return certificates;
}

/**
 * s3-integrator's `attributes` option split at commas, as a JSON list (a `;`-joined string in the v1 draft). Each
 * item `Name=value` (the reference's form) or `Name:value`, split where the text before it is a header name.
 */
function parseAttributes(value: string | undefined, show: (v: string) => string, problems: string[]): S3Attribute[] {
  if (value === undefined) return [];
  let items: unknown;
  try {
    items = JSON.parse(value);
  } catch {
    items = value.split(";");
  }
  if (typeof items === "string") items = items.split(";");
  const listed = z.array(z.string()).max(64).safeParse(items);
  if (!listed.success) {
    problems.push("attributes is not a JSON list of Name=value strings");
    return [];
  }
  const attributes: S3Attribute[] = [];
  for (const item of listed.data.map((i) => i.trim()).filter((i) => i !== "")) {
    const match = /^([^=:]+)[=:](.*)$/s.exec(item);
    const name = match?.[1]?.trim() ?? "";
    const headerValue = match?.[2]?.trim() ?? "";
    if (!match || !HEADER_NAME.test(name) || CONTROL.test(headerValue)) problems.push(`attribute ${show(item)} is not Name=value with a header name`);
    else attributes.push({ name: name.toLowerCase(), value: headerValue });
  }
  return attributes;
}
