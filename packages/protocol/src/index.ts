/**
 * The certwizard Integration Interface wire contract, shared by the SDK and the CA.
 * @packageDocumentation
 */
export * from './csr-api.js';
export * from './errors.js';
export * from './registration.js';
export * from './callback-url.js';
export * from './ticket.js';
export * from './user-code.js';
export * from './pkce.js';
export * from './wizard-token.js';
export * from './cacert-api.js';
export * from './email-ping.js';
export * from './revocation.js';
export * from './holder-revocation.js';
export * from './domain-name.js';
export * from './domain-verification.js';
export * from './renewal-info.js';
