/**
 * The SCEP proxy (`certwizard scep-proxy`): a SCEP server for devices that speak only SCEP, which
 * forwards their requests over the CA's CAcert-style API with this installation's token.
 *
 * @packageDocumentation
 */
export { ScepProxyError } from './errors.js';
export { loadOrCreateRaIdentity, RA_FILES, type ProxyRaIdentity } from './ra-identity.js';
export {
  isLoopback,
  PINNED_CA_FILE,
  SCEP_PROXY_CAPABILITIES,
  SCEP_PROXY_PATHS,
  startScepProxy,
  type ScepProxy,
  type ScepProxyEvent,
  type ScepProxyOptions,
} from './scep-proxy.js';
export { QUEUE_FILE } from './proxy-queue.js';
