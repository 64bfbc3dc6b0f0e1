/**
 * How the vendor wants the domains of its DNS names verified (the CAcert method's
 * `domainVerification`, docs/sdk.md "Server certificates"): by an email ping to an administrative
 * address (the default: `postmaster@<domain>`, answered by the vendor's mail hook when there is
 * one), a DNS TXT record or an HTTP file that the vendor's `publish` puts in place.
 */
import { ADMINISTRATIVE_LOCAL_PARTS, type AdministrativeLocalPart } from '@certwizard/protocol';

/** The TXT record to publish for a `dns` verification: at `name` (`_certwizard-challenge.<domain>`), the value `value`. Public by design. */
export interface DnsChallengeRecord {
  readonly name: string;
  readonly value: string;
}

/** The file to serve for an `http` verification: at `url` (`http://<domain>/.well-known/certwizard-challenge/<token>`, port 80), the body `content`. */
export interface HttpChallengeFile {
  readonly url: string;
  readonly content: string;
}

/**
 * How each domain that is not verified yet gets verified:
 *
 * - `email` (the default, `{ method: 'email' }`): the CA mails a ping to `<localPart>@<domain>`
 *   (default `postmaster`). With `emailPing.nonces` (the mail hook's nonce book) a fresh nonce for
 *   that address goes with it and the mail server answers by itself; otherwise a person opens the
 *   mail and clicks its link. The SDK asks `GET /api/domains` until the domain is verified.
 * - `dns`: `publish(record, signal)` puts the TXT record in place (the vendor's DNS API) and
 *   resolves once it is there; the SDK then asks the CA to check, again and again while the
 *   record has not propagated (`challenge_failed`), until the verification's time limit.
 * - `http`: `publish(file, signal)` serves `content` at `url` and resolves once it does; then as
 *   for `dns`.
 *
 * `publish` may be called again for the same record or file (a run resumed after a kill asks the
 * CA again, which answers the same challenge): make it idempotent. What it throws ends the
 * verification with that error.
 */
export type DomainVerification =
  | { readonly method: 'email'; readonly localPart?: AdministrativeLocalPart }
  | { readonly method: 'dns'; readonly publish: (record: DnsChallengeRecord, signal: AbortSignal) => Promise<void> }
  | { readonly method: 'http'; readonly publish: (file: HttpChallengeFile, signal: AbortSignal) => Promise<void> };

/** The verification when the vendor names none: an email ping to `postmaster@<domain>`. */
export const DEFAULT_DOMAIN_VERIFICATION: DomainVerification = Object.freeze({ method: 'email', localPart: 'postmaster' });

/**
 * Checks a {@link DomainVerification} given by a caller.
 * @throws {TypeError} for anything but one of the three shapes.
 * @example
 * checkDomainVerification({ method: 'dns', publish: async (record) => dnsApi.setTxt(record.name, record.value) });
 */
export function checkDomainVerification(option: DomainVerification | undefined): DomainVerification {
  if (option === undefined) return DEFAULT_DOMAIN_VERIFICATION;
  if (option === null || typeof option !== 'object') throw new TypeError('domainVerification must be an object');
  switch (option.method) {
    case 'email':
      if (option.localPart !== undefined && !(ADMINISTRATIVE_LOCAL_PARTS as readonly string[]).includes(option.localPart))
        throw new TypeError(`domainVerification.localPart must be one of ${ADMINISTRATIVE_LOCAL_PARTS.join(', ')}`);
      return option;
    case 'dns':
    case 'http':
      if (typeof option.publish !== 'function') throw new TypeError(`domainVerification.publish must be a function for method ${option.method}`);
      return option;
    default:
      throw new TypeError("domainVerification.method must be 'email', 'dns' or 'http'");
  }
}
