/**
 * One-time revocation secrets (the CMC shared-secret scenario, RFC 5272 §6.6, in a simpler
 * form): each certificate request the CA takes gets one random secret, handed out in the answer
 * that issued or held it, so that whoever installed the certificate can revoke it later without
 * the account (`POST /api/revoke-with-secret`). The CA keeps only its SHA-256.
 *
 * Once: a resent request, answered from what is stored, gets no secret (the first one stands;
 * the primary key of revocation_secrets decides, across CA processes). A client that lost it
 * revokes with its key or its installation token instead.
 */
import { isBearerSecret, newBearerSecret } from '../accounts/bearer-secret.js';
import { hashToken } from '../accounts/password.js';
import type { RevocationSecretRepository } from '../store/revocation-secret-store.js';

/** Whose secret: an account's request (held or issued) or an ssl_api client's certificate. */
export type SecretHolder = { readonly requestId: string } | { readonly serialHex: string };

/**
 * Makes, stores and checks revocation secrets over a {@link RevocationSecretRepository}.
 * @example
 * const secret = await secrets.issue({ requestId }); // hand it out now; it is never readable again
 * await secrets.check('0a1b', secret); // true
 */
export class RevocationSecrets {
  readonly #repository: RevocationSecretRepository;
  readonly #now: () => number;

  constructor(repository: RevocationSecretRepository, options: { readonly now?: () => number } = {}) {
    this.#repository = repository;
    this.#now = options.now ?? Date.now;
  }

  /**
   * A new secret and its digest, not stored: the digest goes into the transaction that saves the
   * certificate (`IssueMeta.revocationSecretDigest`), so a saved certificate always has the secret
   * its answer hands out, at no extra transaction. Hand the secret out only when that save stored
   * it (a replay stores none).
   */
  prepare(): { readonly secret: string; readonly digest: string } {
    return newBearerSecret();
  }

  /**
   * A new secret for the holder, or `undefined` when the holder has one already (it stays the
   * only one). 256 random bits, base64url (43 characters).
   */
  async issue(holder: SecretHolder): Promise<string | undefined> {
    const { secret, digest } = newBearerSecret();
    const key = 'requestId' in holder ? `request:${holder.requestId}` : `serial:${holder.serialHex}`;
    return (await this.#repository.put(key, digest, this.#now())) ? secret : undefined;
  }

  /** Whether `secret` is the revocation secret of the certificate with this serial (a malformed one costs no query). */
  async check(serialHex: string, secret: string): Promise<boolean> {
    return isBearerSecret(secret) && this.#repository.matches(serialHex, hashToken(secret));
  }

  /** Records the secret's first use. */
  async markUsed(serialHex: string, secret: string): Promise<void> {
    await this.#repository.markUsed(serialHex, hashToken(secret), this.#now());
  }
}
