import { createCa, signCsr } from "../../../src/tls/pki.js";
import type { CaMaterial } from "../../../src/tls/pki.js";
import type { FakeJuju } from "./fake-juju.js";

/**
 * A tls-certificates v4 provider's leader, in memory (juju-interfaces-and-features.md §1): it signs every
 * request in the requirer's unit and application bags that has no live answer, drops answers whose request is
 * gone, and can rotate its CA (every answer revoked, then signed again). Its certificates carry the usages the
 * charm's own do; the real test provider charm (test/charms/tls-provider) gives none, as v4 providers do.
 */
export class FakeProvider {
  private constructor(
    readonly app: string,
    public ca: CaMaterial,
    private readonly validityMs: number,
  ) {}

  static async create(now: number, app = "self-signed-certificates", validityMs = 90 * 24 * 3600_000): Promise<FakeProvider> {
    return new FakeProvider(app, await createCa({ subject: { commonName: `${app} CA` }, now, validityMs: 10 * validityMs }), validityMs);
  }

  /** Every request the requirer's bags hold now. */
  private requests(juju: FakeJuju, relationId: string): string[] {
    const relation = juju.relations.get(relationId);
    if (!relation) return [];
    return [...relation.bags.entries()].flatMap(([owner, bag]) => {
      if (owner === `app:${this.app}` || owner.startsWith(`${this.app}/`)) return [];
      const raw = bag.certificate_signing_requests;
      return raw ? (JSON.parse(raw) as { certificate_signing_request: string }[]).map((r) => r.certificate_signing_request) : [];
    });
  }

  private answers(juju: FakeJuju, relationId: string): { ca: string; certificate_signing_request: string; certificate: string; revoked?: boolean }[] {
    const raw = juju.relations.get(relationId)?.bags.get(`app:${this.app}`)?.certificates;
    return raw ? JSON.parse(raw) : [];
  }

  private write(juju: FakeJuju, relationId: string, answers: readonly object[]): void {
    const relation = juju.relations.get(relationId);
    if (!relation) return;
    relation.bags.set(`app:${this.app}`, answers.length > 0 ? { certificates: JSON.stringify(answers) } : {});
  }

  /** One provider hook: returns how many certificates it issued. */
  async reconcile(juju: FakeJuju, relationId: string, now: number): Promise<number> {
    const requests = this.requests(juju, relationId);
    const kept = this.answers(juju, relationId).filter((answer) => requests.includes(answer.certificate_signing_request));
    let issued = 0;
    for (const csr of requests) {
      if (kept.some((answer) => answer.certificate_signing_request === csr && !answer.revoked)) continue;
      const certificate = (await signCsr({ csrPem: csr, ca: this.ca, now, validityMs: this.validityMs, profile: "member" })).trim();
      const ca = this.ca.certificatePem.trim();
      const others = kept.filter((answer) => answer.certificate_signing_request !== csr);
      kept.length = 0;
      kept.push(...others, { ca, certificate_signing_request: csr, certificate });
      issued++;
    }
    this.write(juju, relationId, kept);
    return issued;
  }
}
