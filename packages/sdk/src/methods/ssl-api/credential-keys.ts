/**
 * Where an installer keeps the ssl_api client hash in its credential store, per CA origin, so
 * that a later `revoke()` (or renewal) of an enrollment made with the ssl-api method finds it
 * without asking again. The hash is all the CA asks of an ssl_api caller, so it is kept as a
 * secret: in the credential store, never in the state file or argv.
 */

/**
 * Credential-store key of the ssl_api client hash for a CA.
 * @example
 * await store.set(sslApiClientKey('https://ca.example'), client);
 */
export const sslApiClientKey = (caOrigin: string): string => `ssl-api-client:${caOrigin}`;
