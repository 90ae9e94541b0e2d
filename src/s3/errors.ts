// The namespace import lets esbuild drop the unused parts of zod (its locales): 90 kB in this bundle, not 450 kB.
import { z } from "zod";

/**
 * Failures of the S3 store, sorted into what an operator does about them, with one message naming the bucket,
 * the endpoint and the cause. No SDK import: the charm can tell the kinds apart without loading the S3 bundle.
 */

export type S3FailureKind =
  /** The server refused the access key or the signature, or denied the request. */
  | "credentials"
  /** The bucket or the object is not there (HTTP 404). */
  | "not-found"
  /** No answer: refused, unresolvable, unroutable, or past a time limit. */
  | "unreachable"
  /** The server's certificate is not trusted (tls-ca-chain) or does not name it. */
  | "tls"
  /** What was downloaded or is to be uploaded is not what its description says. */
  | "integrity"
  | "other";

export class S3StoreError extends Error {
  override readonly name = "S3StoreError";
  constructor(
    readonly kind: S3FailureKind,
    message: string,
    /** The server's error code (e.g. NoSuchBucket) or the system's (e.g. ECONNREFUSED), when there is one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The parts of an SDK or Node error that say what went wrong; anything else about it is ignored. */
const Cause = z.object({
  name: z.string().optional(),
  message: z.string().optional(),
  code: z.string().optional(),
  $metadata: z.object({ httpStatusCode: z.number().optional() }).optional(),
});

const CREDENTIAL_CODES = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken", "Forbidden"]);
const NOT_FOUND_CODES = new Set(["NoSuchBucket", "NoSuchKey", "NotFound"]);
const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "timed out",
  EPIPE: "connection closed",
};

/** One failure of `what` against `where`, sorted and worded; the secret key never appears in the message. */
export function describeFailure(what: string, where: string, error: unknown, secretKey: string): S3StoreError {
  if (error instanceof S3StoreError) return error;
  const parsed = Cause.safeParse(error);
  const cause = parsed.success ? parsed.data : {};
  const status = cause.$metadata?.httpStatusCode;
  // An AggregateError (every address of a name refused) carries the code; its message is empty.
  const code = cause.code ?? (cause.name && cause.name !== "Error" ? cause.name : undefined);
  const detail = firstLine(cause.message ?? String(error));
  let kind: S3FailureKind = "other";
  let reason: string;
  if (code && (CREDENTIAL_CODES.has(code) || status === 403)) {
    kind = "credentials";
    reason = `the server refused the credentials or the request (${code}${status ? `, HTTP ${status}` : ""}${detail ? `: ${detail}` : ""})`;
  } else if (status === 404 || (code && NOT_FOUND_CODES.has(code))) {
    kind = "not-found";
    reason = code === "NoSuchKey" ? "no such object" : code === "NoSuchBucket" || what.includes("bucket") ? "the bucket does not exist" : "not found";
  } else if (code && isTlsCode(code)) {
    kind = "tls";
    reason = `the server's TLS certificate is not trusted (${code}${detail ? `: ${detail}` : ""}); the provider's tls-ca-chain must hold its CA`;
  } else if (code && (code in NETWORK_CODES || code === "TimeoutError" || code === "AbortError")) {
    kind = "unreachable";
    const plain = NETWORK_CODES[code] ?? (code === "AbortError" ? "gave up after the time limit" : "timed out");
    // Node's own detail ("connect ECONNREFUSED host:port") only restates the code and the endpoint.
    const restates = detail.includes(plain) || detail.includes(code);
    reason = `the server is unreachable (${plain}${detail && !restates ? `: ${detail}` : ""})`;
  } else {
    reason = `${code ?? "error"}${status ? ` (HTTP ${status})` : ""}${detail ? `: ${detail}` : ""}`;
  }
  const message = `S3: could not ${what} in ${where}: ${reason}`;
  return new S3StoreError(kind, secretKey ? message.replaceAll(secretKey, "(secret key)") : message, code);
}

function isTlsCode(code: string): boolean {
  return /^(ERR_TLS_|ERR_SSL_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|CERT_|HOSTNAME_MISMATCH)/.test(code);
}

function firstLine(text: string): string {
  const line = text.split("\n")[0]?.trim() ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
