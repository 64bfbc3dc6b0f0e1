/**
 * The certwizard Integration Interface wire contract, shared by the SDK and the CA.
 * @packageDocumentation
 */
export * from './csr-api.js';
export * from './errors.js';
