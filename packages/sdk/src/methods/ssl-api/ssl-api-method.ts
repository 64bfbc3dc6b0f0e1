/**
 * The ssl_api-style CSR endpoint as an {@link EnrollmentMethod}: `PUT /api/csr/:client` with the
 * PEM request as the body (docs/protocol.md, "`PUT /api/csr/:client`"). It answers at once:
 * issued or refused, never pending. The protocol has no accounts, no verification of names (the
 * client hash is the vendor's agreement with the CA), no way to ask for a request and no
 * revocation: the method is `submit` alone, and keeps no state (its slot holds `null`). A resent
 * request is answered from what the CA stored (docs/protocol.md, "Replays").
 */
import { CaRejectedError, csrApiPath, decodeCsrApiResponse, MalformedResponseError } from '@certwizard/protocol';
import { CaProtocolError } from '../../errors.js';
import { sendCaRequest, type CaRequest } from '../../transport/ca-request.js';
import type { EnrollmentMethod, EnrollmentRequest, MethodContext, SubmitResult } from '../../enroll/enrollment-method.js';
import { methodTransport, type MethodTransportOptions } from '../../enroll/method-context.js';
import { splitChain } from '../../enroll/split-chain.js';

/** Options of {@link sslApiMethod}. */
export interface SslApiMethodOptions extends MethodTransportOptions {
  /** Base URL of the CA, e.g. `https://ca.example`. */
  readonly caUrl: string;
  /** The ssl_api client hash: 1 to 128 ASCII letters or digits. */
  readonly client: string;
}

/**
 * An enrollment method for `PUT /api/csr/:client`.
 *
 * `submit` sends the request as `application/x-pem-file`; 200 is `issued` (the end-entity
 * certificate split from the CA certificates that follow it); a documented error answer is
 * `rejected` with the CA's code (`csr_weak_key`, `refused`, ...). 503 `unavailable` is waited out
 * (`Retry-After`) by the SDK's request layer.
 *
 * @throws {TypeError} for a malformed `client` or `caUrl`, or bad transport options.
 * @example
 * const method = sslApiMethod({ caUrl: 'https://ca.example', client: 'myclient' });
 * const result = await method.submit({ csrPem });
 * // or the whole flow: await enroll({ ...options, method });
 */
export function sslApiMethod(options: SslApiMethodOptions): EnrollmentMethod<null> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const path = csrApiPath(options.client);
  const { base, transport } = methodTransport(options.caUrl, options);
  const url = `${base}${path}`;
  return Object.freeze({
    name: 'ssl-api',
    async submit(request: EnrollmentRequest, context: MethodContext = {}): Promise<SubmitResult> {
      if (typeof request?.csrPem !== 'string' || request.csrPem === '') throw new TypeError('request.csrPem must be a non-empty string');
      const what = 'PUT /api/csr';
      const caRequest = {
        what,
        url,
        method: 'PUT',
        headers: { 'content-type': 'application/x-pem-file', accept: 'application/json' },
        body: request.csrPem,
        initialDelayMs: transport.retryDelayMs,
      } satisfies CaRequest;
      const { status, body } = await sendCaRequest(
        caRequest,
        transport.forCall(context).context(context?.signal, (attempt) => context?.onEvent?.({ type: 'ca-retrying', attempt })),
      );
      let chain: string;
      try {
        chain = decodeCsrApiResponse(status, body);
      } catch (error) {
        if (error instanceof CaRejectedError) return { status: 'rejected', caCode: error.caCode, reason: error.message, httpStatus: status };
        if (error instanceof MalformedResponseError) throw new CaProtocolError(`${what}: ${error.message}`, status, { cause: error });
        throw error;
      }
      return { status: 'issued', ...splitChain(chain, what, status) };
    },
  });
}
