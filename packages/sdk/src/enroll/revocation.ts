/**
 * What every method's `revoke` shares: reading the caller's {@link RevocationRequest} (a
 * certificate or its serial, and a reason) into the wire's fields, and turning the decoded
 * answer into a {@link RevocationResult} or the SDK's errors.
 */
import { parseCertificate } from '@certwizard/pki';
import { CaRejectedError, decodeRevocationFields, MalformedResponseError, type RevocationFields, type RevocationStatus } from '@certwizard/protocol';
import { CaProtocolError } from '../errors.js';
import type { RevocationRequest, RevocationResult } from './enrollment-method.js';
import { RevocationRefusedError } from './errors.js';

/**
 * The serial (lower-case hex) and reason a {@link RevocationRequest} names.
 * @throws {TypeError} unless exactly one of `certificatePem` and `serialHex` is given, for a
 *   certificate that does not parse, a serial that is not hex octets (at most 20), or a reason
 *   that is not one of `REVOCATION_REASONS` (caller misuse: nothing is sent).
 * @example
 * revocationFields({ serialHex: '7F3A', reason: 'superseded' }); // { serialHex: '7f3a', reason: 'superseded' }
 */
export function revocationFields(request: RevocationRequest): RevocationFields {
  if (request === null || typeof request !== 'object') throw new TypeError('the revocation request must be an object');
  const { certificatePem, serialHex, reason } = request;
  if ((certificatePem === undefined) === (serialHex === undefined)) throw new TypeError('give either certificatePem or serialHex');
  let serial: unknown = serialHex;
  if (certificatePem !== undefined) {
    if (typeof certificatePem !== 'string') throw new TypeError('certificatePem must be a PEM string');
    try {
      serial = parseCertificate(certificatePem).serialNumberHex;
    } catch (error) {
      throw new TypeError('certificatePem is not a PEM certificate', { cause: error });
    }
  }
  const decoded = decodeRevocationFields(serial, reason);
  if (!decoded.ok) throw new TypeError(decoded.message);
  return decoded.fields;
}

/**
 * Runs a revocation answer's decoder: what the CA did, checked to be about the serial asked.
 * @param what - the endpoint, for messages (`crevoke`, `POST /api/csr/:client/revoke`).
 * @throws {RevocationRefusedError} `ERR_SDK_REVOKE_REFUSED` for a documented refusal, with the CA's code and status.
 * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL` for an answer outside the contract, or about another serial.
 */
export function revocationResult(
  what: string,
  status: number,
  serialHex: string,
  decoder: () => { readonly status: RevocationStatus; readonly serialHex: string },
): RevocationResult {
  let answer: { readonly status: RevocationStatus; readonly serialHex: string };
  try {
    answer = decoder();
  } catch (error) {
    if (error instanceof CaRejectedError) throw new RevocationRefusedError(error.message, { caCode: error.caCode, status, serialHex });
    if (error instanceof MalformedResponseError) throw new CaProtocolError(`${what}: ${error.message}`, status, { cause: error });
    throw error;
  }
  if (answer.serialHex !== serialHex) throw new CaProtocolError(`${what}: the answer is about another serial`, status);
  return { status: answer.status, serialHex };
}
