/**
 * The CA's advice on when to renew a certificate (RFC 9773 §4.2's `suggestedWindow`): an
 * operator's window when one was set for the certificate (`certwizard-ca renewal-window`, e.g.
 * to pull renewals forward after a mis-issuance), else the default, from two thirds to five
 * sixths of the certificate's lifetime (so the window opens when a third of the lifetime is left,
 * and closes with a sixth left for retries). A revoked certificate is advised a window that ended
 * at its revocation: in the past, which RFC 9773 §4.2 says means "renew now". All of it comes
 * from the database, so every CA process on it answers the same.
 */
import { parseCertificate } from '@certwizard/pki';
import type { ParsedCertId } from '@certwizard/protocol';
import type { CertificateRepository } from '../store/certificate-store.js';
import type { RenewalWindowRepository } from '../store/renewal-window-store.js';

/** What the CA advises for one certificate. */
export interface RenewalAdvice {
  readonly start: Date;
  readonly end: Date;
  /** Where the window comes from: the default rule, an operator, or a revocation (renew now). */
  readonly source: 'default' | 'operator' | 'revoked';
}

/** How long before its revocation a revoked certificate's window starts, in ms (one hour). */
const REVOKED_WINDOW_MS = 60 * 60_000;

/**
 * The default window of a certificate: [notBefore + 2/3 lifetime, notBefore + 5/6 lifetime).
 * @example
 * defaultRenewalWindow(new Date('2026-01-01T00:00:00Z'), new Date('2026-04-01T00:00:00Z'));
 * // start 2026-03-01T00:00:00Z, end 2026-03-16T00:00:00Z (a 90-day certificate)
 */
export function defaultRenewalWindow(notBefore: Date, notAfter: Date): { start: Date; end: Date } {
  const from = notBefore.getTime();
  const lifetime = notAfter.getTime() - from;
  return { start: new Date(from + Math.round((lifetime * 2) / 3)), end: new Date(from + Math.round((lifetime * 5) / 6)) };
}

/**
 * Answers renewal information from the certificate store and the operators' windows.
 * @example
 * const advisor = new RenewalAdvisor({ certificates, windows });
 * await advisor.adviseFor(parseCertId(certId)); // undefined for a certificate of another CA
 */
export class RenewalAdvisor {
  readonly #certificates: Pick<CertificateRepository, 'get'>;
  readonly #windows: Pick<RenewalWindowRepository, 'get'>;

  constructor(deps: { readonly certificates: Pick<CertificateRepository, 'get'>; readonly windows: Pick<RenewalWindowRepository, 'get'> }) {
    this.#certificates = deps.certificates;
    this.#windows = deps.windows;
  }

  /**
   * The advice for the certificate a parsed RFC 9773 §4.1 identifier names, or `undefined` when
   * this CA has no certificate with that serial and authority key identifier (a serial of ours
   * under another issuer's key identifier is someone else's certificate).
   */
  async adviseFor(id: ParsedCertId): Promise<RenewalAdvice | undefined> {
    const stored = await this.#certificates.get(id.serialHex);
    if (stored === undefined) return undefined;
    // The stored certificate's own extension, not the CA's current key: the answer stays right
    // for certificates signed before a key change.
    if (parseCertificate(stored.pem).authorityKeyIdentifier !== id.authorityKeyIdentifierHex) return undefined;
    if (stored.status === 'revoked') {
      const revokedAt = (stored.revokedAt ?? new Date(0)).getTime();
      return { start: new Date(revokedAt - REVOKED_WINDOW_MS), end: new Date(revokedAt), source: 'revoked' };
    }
    const set = await this.#windows.get(stored.serialHex);
    if (set !== undefined) return { start: set.start, end: set.end, source: 'operator' };
    return { ...defaultRenewalWindow(stored.notBefore, stored.notAfter), source: 'default' };
  }
}
