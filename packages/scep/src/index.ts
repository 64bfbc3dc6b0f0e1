/**
 * SCEP (RFC 8894) message codec: pkiMessages and CertReps, CA certificate answers,
 * capabilities. Pure: bytes in, typed values out; no I/O.
 *
 * @packageDocumentation
 */
export {
  SCEP_MAX_MESSAGE_BYTES,
  ScepError,
  type ScepContentEncryption,
  type ScepDigest,
  type ScepErrorCode,
  type ScepFailInfo,
  type ScepMessageType,
  type ScepPkiStatus,
  type ScepSigner,
} from './errors.js';
export {
  buildIssuerAndSerial,
  buildIssuerAndSubject,
  buildScepRequest,
  createTransientSigner,
  parseIssuerAndSerial,
  parseIssuerAndSubject,
  parseScepRequest,
  transactionIdOf,
  type ScepRequest,
} from './request.js';
export { decryptEnvelope } from './enveloped-data.js';
export { buildCertRep, parseCertRep, type ScepReply } from './cert-rep.js';
export { buildCertsOnly, parseCaCertResponse } from './ca-certs.js';
export { formatCaCaps, parseCaCaps } from './caps.js';
