/**
 * Where the flow keeps the one-time revocation secret the CA hands out with each new certificate
 * (`IssuedResult.revocationSecret`, docs/protocol.md "revoke-with-secret"): in the credential
 * store, never the state file, found by the enrollment's name and the certificate's serial.
 * `enroll()` and a renewal keep it when the certificate is issued (before it is installed, so a
 * run killed in between does not lose it: the CA hands it out once); a renewal forgets the
 * replaced certificate's once the new one is live, `revoke()` the revoked one's; `revoke()` uses
 * it when the method cannot revoke, before the key.
 */
import type { CredentialStore } from '../credentials/credential-store.js';

/**
 * Credential-store key of the revocation secret of certificate `serialHex` (lower-case hex) of
 * enrollment `name` at the CA `caOrigin`.
 * @example
 * const secret = await store.get(revocationSecretKey('https://ca.example', 'mail', '01ab...'));
 */
export const revocationSecretKey = (caOrigin: string, name: string, serialHex: string): string =>
  `revocation-secret:${caOrigin}:${name}:${serialHex.toLowerCase()}`;

/**
 * Credential-store key of the secret a pending answer carried, by request id: the serial is not
 * known before the certificate is issued, when it moves under {@link revocationSecretKey}.
 */
export const pendingRevocationSecretKey = (caOrigin: string, name: string, requestId: string): string =>
  `revocation-secret:${caOrigin}:${name}:request:${requestId}`;

/** Which certificate a secret belongs to. */
export interface SecretOwner {
  readonly credentials: CredentialStore;
  readonly caOrigin: string;
  readonly name: string;
  readonly signal?: AbortSignal;
}

/**
 * Keeps the secret of a newly issued certificate under its serial: the one the answer carried,
 * else the one its pending answer carried (moved, then the pending one forgotten). Harmless to
 * repeat (a `set` of the same value; a pending one already moved is gone).
 */
export async function keepRevocationSecret(
  owner: SecretOwner,
  issued: { readonly serialHex: string; readonly requestId?: string | null; readonly revocationSecret?: string },
): Promise<void> {
  const options = owner.signal === undefined ? {} : { signal: owner.signal };
  const pendingKey = issued.requestId == null ? undefined : pendingRevocationSecretKey(owner.caOrigin, owner.name, issued.requestId);
  const secret = issued.revocationSecret ?? (pendingKey === undefined ? undefined : await owner.credentials.get(pendingKey, options));
  if (secret !== undefined) await owner.credentials.set(revocationSecretKey(owner.caOrigin, owner.name, issued.serialHex), secret, options);
  if (pendingKey !== undefined) await owner.credentials.delete(pendingKey, options);
}

/** Keeps the secret a pending answer carried, under its request id, until the certificate is issued. */
export async function keepPendingRevocationSecret(owner: SecretOwner, requestId: string, secret: string): Promise<void> {
  await owner.credentials.set(
    pendingRevocationSecretKey(owner.caOrigin, owner.name, requestId),
    secret,
    owner.signal === undefined ? {} : { signal: owner.signal },
  );
}

/** The kept secret of certificate `serialHex`, or `undefined`. */
export function revocationSecretOf(owner: SecretOwner, serialHex: string): Promise<string | undefined> {
  return owner.credentials.get(revocationSecretKey(owner.caOrigin, owner.name, serialHex), owner.signal === undefined ? {} : { signal: owner.signal });
}

/** Forgets the secret of certificate `serialHex` (replaced or revoked: it can do nothing any more). */
export async function forgetRevocationSecret(owner: SecretOwner, serialHex: string): Promise<void> {
  await owner.credentials.delete(revocationSecretKey(owner.caOrigin, owner.name, serialHex), owner.signal === undefined ? {} : { signal: owner.signal });
}
