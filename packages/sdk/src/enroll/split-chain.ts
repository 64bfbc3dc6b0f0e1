/**
 * Splitting a PEM chain as CAs send it (end-entity first) into the certificate and the rest.
 */
import { decodePemAll, encodePem } from '@certwizard/pki';
import { CaProtocolError } from '../errors.js';

/**
 * The first certificate of `pem`, and the following ones, each re-encoded as canonical PEM.
 * @param what - names the answer in the error message.
 * @param status - HTTP status of the answer, for the error.
 * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL` when `pem` is not one or more PEM certificates.
 * @example
 * const { certificatePem, chainPem } = splitChain(signedPem, 'csr', 200);
 */
export function splitChain(pem: string, what: string, status: number): { certificatePem: string; chainPem: string } {
  let blocks: Uint8Array[];
  try {
    blocks = decodePemAll(pem, 'CERTIFICATE');
  } catch (error) {
    throw new CaProtocolError(`${what}: the CA answered a certificate chain that is not PEM certificates`, status, { cause: error });
  }
  const [leaf, ...rest] = blocks.map((der) => encodePem('CERTIFICATE', der));
  return { certificatePem: leaf as string, chainPem: rest.join('') };
}
