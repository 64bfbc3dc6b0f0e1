/**
 * What a certificate's owner sees as its status on the account page: one word, decided from the
 * stored certificates alone (no clock but the CA's, no network).
 */
import type { StoredCertificate } from '../store/certificate-store.js';

/** How long before notAfter a valid certificate shows as `expiring`, in ms (30 days). */
export const EXPIRING_WITHIN_MS = 30 * 24 * 60 * 60_000;

/**
 * A certificate's status as its owner sees it, in this order of precedence:
 * - `revoked`: revoked (with its time and reason, shown beside it);
 * - `expired`: past its notAfter;
 * - `superseded`: a newer (later notBefore) valid, unexpired certificate of the same holder
 *   carries every one of its names;
 * - `expiring`: valid, with at most {@link EXPIRING_WITHIN_MS} left;
 * - `valid`.
 */
export type OwnerCertificateStatus = 'valid' | 'expiring' | 'revoked' | 'superseded' | 'expired';

/** Every name a certificate carries (addresses, DNS names, IP addresses), lower case. */
export function certificateNames(certificate: StoredCertificate): string[] {
  const { email, dns, ip } = certificate.subjectAltNames;
  return [...email, ...dns, ...ip].map((name) => name.toLowerCase());
}

/**
 * The status of each certificate of one holder (see {@link OwnerCertificateStatus}).
 * @param certificates - the holder's certificates (any order); a newer one supersedes only
 *   among these.
 * @returns the statuses, by serial.
 * @example
 * ownerStatuses(await service.certificatesOf(accountId), Date.now()).get(serial); // 'expiring'
 */
export function ownerStatuses(certificates: readonly StoredCertificate[], nowMs: number): Map<string, OwnerCertificateStatus> {
  const live = certificates.filter((c) => c.status === 'valid' && c.notAfter.getTime() > nowMs);
  const statuses = new Map<string, OwnerCertificateStatus>();
  for (const c of certificates) {
    const names = certificateNames(c);
    const supersededBy = live.find(
      (newer) =>
        newer.serialHex !== c.serialHex && newer.notBefore.getTime() > c.notBefore.getTime() && names.every((n) => certificateNames(newer).includes(n)),
    );
    let status: OwnerCertificateStatus;
    if (c.status === 'revoked') status = 'revoked';
    else if (c.notAfter.getTime() <= nowMs) status = 'expired';
    else if (names.length > 0 && supersededBy !== undefined) status = 'superseded';
    else if (c.notAfter.getTime() - nowMs <= EXPIRING_WITHIN_MS) status = 'expiring';
    else status = 'valid';
    statuses.set(c.serialHex, status);
  }
  return statuses;
}
