/**
 * The certwizard reference CA, as a library: start it in-process (tests, e2e, benchmarks) or
 * run it with the `certwizard-ca` command.
 * @packageDocumentation
 */
export { CertificateAuthority, type CaIdentity, type IssuedCertificate } from './ca/authority.js';
export type { CaHooks, CertificateDraft, HookBootInfo, HookContext, SignedCertificate } from './ca/hooks.js';
export { loadHooks } from './ca/hooks.js';
export { buildServeConfig, SERVE_DEFAULTS, type ServeConfig } from './config.js';
export * from './errors.js';
export { createIdentity, IDENTITY_FILES, identityNeedsPassphrase, loadIdentity } from './identity.js';
export { createLogger, type Logger, silentLogger } from './log.js';
export { type RunningCa, startCa, type StartCaDependencies } from './main.js';
export { CertificateStore, type StoredCertificate } from './store/certificate-store.js';
export { openDatabase } from './store/database.js';
