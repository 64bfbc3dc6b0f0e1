/**
 * What every method's `renewalWindow` shares: asking the CA's renewal information
 * (`GET /api/renewal-info/:certId`, RFC 9773 §4.2 shape; docs/protocol.md) about one certificate
 * and reading the answer into a {@link RenewalWindow}. The request carries no credential (the
 * endpoint is public, as ARI is) and, like every SDK request, never follows a redirect.
 */
import { parseCertificate } from '@certwizard/pki';
import {
  CaRejectedError,
  certIdOfCertificate,
  decodeRenewalInfoAnswer,
  InvalidCertIdError,
  MalformedResponseError,
  renewalInfoPath,
  renewalInfoRetryAfterSeconds,
} from '@certwizard/protocol';
import { CaProtocolError } from '../errors.js';
import { sendCaRequest } from '../transport/ca-request.js';
import type { CertificateValidity, MethodContext, RenewalWindow } from './enrollment-method.js';
import type { MethodTransport } from './method-context.js';

/** Names the endpoint in errors (never the URL). */
const WHAT = 'GET /api/renewal-info';

/**
 * Asks the CA at `base` when to renew `certificate`.
 * @param base - the CA's base URL, without a trailing slash (as `methodTransport` returns it).
 * @returns the window with the CA's `Retry-After` (held to [1 min, 1 day], RFC 9773 §4.3.2) and
 *   `explanationURL`; `undefined` when the CA answers 404 (a CA without the endpoint, or one that
 *   does not know the certificate) or the certificate has no authority key identifier (it has no
 *   RFC 9773 §4.1 identifier): the caller then uses its own rule.
 * @throws {TypeError} for a `certificatePem` that is not a PEM certificate (nothing is sent).
 * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL` for an answer that is not a window (a malformed
 *   body, a window whose start is not before its end, any other status), or a redirect.
 * @throws {CaUnreachableError} `ERR_SDK_CA_UNREACHABLE` when the CA could not be reached.
 * @example
 * const window = await fetchRenewalWindow(base, transport, { certificatePem, notBefore, notAfter }, { signal });
 */
export async function fetchRenewalWindow(
  base: string,
  transport: MethodTransport,
  certificate: CertificateValidity,
  context: MethodContext = {},
): Promise<RenewalWindow | undefined> {
  if (typeof certificate?.certificatePem !== 'string') throw new TypeError('certificate.certificatePem must be a PEM string');
  let certId: string;
  try {
    certId = certIdOfCertificate(parseCertificate(certificate.certificatePem));
  } catch (error) {
    if (error instanceof InvalidCertIdError) return undefined;
    throw new TypeError('certificate.certificatePem is not a PEM certificate', { cause: error });
  }
  const call = transport.forCall(context);
  const answer = await sendCaRequest(
    { what: WHAT, url: `${base}${renewalInfoPath(certId)}`, method: 'GET', headers: { accept: 'application/json' }, initialDelayMs: call.retryDelayMs },
    call.context(context.signal, (attempt) => context.onEvent?.({ type: 'ca-retrying', attempt })),
  );
  if (answer.status === 404) return undefined;
  try {
    const { suggestedWindow, explanationUrl } = decodeRenewalInfoAnswer(answer.status, answer.body);
    return {
      start: suggestedWindow.start,
      end: suggestedWindow.end,
      retryAfterMs: renewalInfoRetryAfterSeconds(answer.retryAfter, call.clock.now()) * 1000,
      ...(explanationUrl === undefined ? {} : { explanationUrl }),
    };
  } catch (error) {
    if (error instanceof MalformedResponseError || error instanceof CaRejectedError) {
      throw new CaProtocolError(`${WHAT}: ${error.message}`, answer.status, { cause: error });
    }
    throw error;
  }
}
