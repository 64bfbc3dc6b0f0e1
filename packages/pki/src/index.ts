/**
 * The certwizard PKI core: keys, certificate requests, certificates, CRLs, PKCS#12 and
 * fingerprints. Pure functions over node:crypto; no file or network I/O.
 * @packageDocumentation
 */
export * from './algorithms.js';
export * from './certificate.js';
export * from './chain.js';
export * from './crl.js';
export * from './csr.js';
export * from './errors.js';
export * from './fingerprint.js';
export * from './keys.js';
export * from './limits.js';
export * from './name.js';
export * from './ocsp.js';
export * from './pkcs12.js';
export * from './san.js';
export { decodePem, decodePemAll, decodePemBlocks, encodePem, type PemBlock } from './codec/pem.js';
export { validateDer } from './codec/der.js';
