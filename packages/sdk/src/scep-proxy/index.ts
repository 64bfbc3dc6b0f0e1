/**
 * The SCEP proxy (`certwizard scep-proxy`): a SCEP server for devices that speak only SCEP, which
 * forwards their requests over the CA's CAcert-style API with this installation's token.
 *
 * @packageDocumentation
 */
export { ScepProxyError } from './errors.js';
export { loadOrCreateRaIdentity, RA_FILES, type ProxyRaIdentity } from './ra-identity.js';
