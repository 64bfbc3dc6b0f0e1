/**
 * Where the CAcert method keeps its secrets in the credential store, per CA origin. The key names
 * are those `enroll()` used before methods existed, so that an installation token stored by an
 * earlier version is found again.
 */

/**
 * Credential-store key of the installation token for a CA.
 * @example
 * const token = await store.get(installationTokenKey('https://ca.example'));
 */
export const installationTokenKey = (caOrigin: string): string => `installation-token:${caOrigin}`;

/**
 * Credential-store key of a registration under way for a CA: its ticket, PKCE verifier and user
 * code, and, once the registration finished, the one-time code, kept before it is redeemed so
 * that a run killed before it kept the token redeems it again (the CA then issues a fresh token
 * and revokes the lost one).
 * @example
 * await store.delete(pendingRegistrationKey('https://ca.example')); // forget a registration under way
 */
export const pendingRegistrationKey = (caOrigin: string): string => `registration:${caOrigin}`;
