import { z } from "zod";
import type { ProviderCertificate } from "./observed.js";

/**
 * The `certificates` relation's wire format (tls-certificates v4, this charm the requirer; interfaces §1.1):
 * requests in this unit's bag (its member certificate) and in the application bag (the leader's requests for
 * consumers' client identities), answers in the provider's application bag. Untrusted: anything malformed is
 * "no data", as the v4 library treats it.
 */

export const CERTIFICATES_KEYS = { requests: "certificate_signing_requests", certificates: "certificates" } as const;

/** PEM as v4 writes it: stripped (interfaces §1.1); compared in that form. */
export const stripPem = (pem: string) => pem.replace(/\r\n/g, "\n").trim();

const Pem = (kind: string) =>
  z
    .string()
    .max(65_536)
    .transform(stripPem)
    .pipe(z.string().regex(new RegExp(`^-----BEGIN ${kind}-----\\n[A-Za-z0-9+/=\\n]+\\n-----END ${kind}-----$`)));

const RequestList = z.array(z.object({ certificate_signing_request: Pem("CERTIFICATE REQUEST"), ca: z.boolean().optional() })).max(256);

const CertificateList = z
  .array(
    z.object({
      ca: Pem("CERTIFICATE"),
      certificate_signing_request: Pem("CERTIFICATE REQUEST"),
      certificate: Pem("CERTIFICATE"),
      chain: z.array(z.string()).optional(),
      revoked: z.boolean().optional(),
    }),
  )
  .max(1024);

function parseJson<T>(text: string | undefined, schema: z.ZodType<T>): { value: T | undefined; problem: string | undefined } {
  if (!text) return { value: undefined, problem: undefined };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { value: undefined, problem: "not JSON" };
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? { value: parsed.data, problem: undefined } : { value: undefined, problem: parsed.error.issues[0]?.message ?? "invalid" };
}

/** The requests (PEM, stripped) in one of this charm's own bags. */
export function parseRequests(text: string | undefined): string[] {
  return (parseJson(text, RequestList).value ?? []).map((r) => r.certificate_signing_request);
}

/** The provider's answers; a malformed list is none, with the reason for the log. */
export function parseProvided(text: string | undefined): { provided: ProviderCertificate[]; problem: string | undefined } {
  const { value, problem } = parseJson(text, CertificateList);
  return {
    provided: (value ?? []).map((entry) => ({
      ca: entry.ca,
      csr: entry.certificate_signing_request,
      certificate: entry.certificate,
      revoked: entry.revoked === true,
    })),
    problem,
  };
}

/** A bag value with these requests (none: the key is removed, as v4 does). */
export function requestsValue(csrs: readonly string[]): string {
  return csrs.length === 0 ? "" : JSON.stringify(csrs.map((csr) => ({ certificate_signing_request: stripPem(csr), ca: false })));
}

/** The provider's live answer to a request: same request, not revoked (interfaces §1.3, §1.5). */
export function answerTo(provided: readonly ProviderCertificate[], csr: string | undefined): ProviderCertificate | undefined {
  if (!csr) return undefined;
  const wanted = stripPem(csr);
  return provided.find((entry) => entry.csr === wanted && !entry.revoked);
}

/** On the leader: consumer relation number → the request (PEM) published for its client identity, as JSON in unit state. */
export const CLIENT_REQUESTS_STATE_KEY = "tls-client-requests";
/** What this unit's member request asks for (subject and names, as JSON), kept beside it in unit state. */
export const MEMBER_REQUEST_STATE_KEY = "tls-member-request";

export function parseClientRequests(text: string | undefined): Record<string, string> {
  return parseJson(text, z.record(z.string().regex(/^[0-9]{1,9}$/), Pem("CERTIFICATE REQUEST"))).value ?? {};
}
