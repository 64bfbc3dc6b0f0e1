/**
 * The ssl_api-style CSR endpoint as an {@link EnrollmentMethod}: `PUT /api/csr/:client` with the
 * PEM request as the body (docs/protocol.md, "`PUT /api/csr/:client`"), and our extension
 * `POST /api/csr/:client/revoke`. It answers at once: issued or refused, never pending. The
 * protocol has no accounts, no verification of names (the client hash is the vendor's agreement
 * with the CA) and no way to ask for a request: the method is `submit` and `revoke`, and keeps no
 * state (its slot holds `null`). A resent request is answered from what the CA stored
 * (docs/protocol.md, "Replays").
 */
import {
  CaRejectedError,
  csrApiPath,
  csrApiRevokePath,
  CSR_API_REVOKE_MEDIA_TYPE,
  decodeCsrApiAnswer,
  decodeCsrApiRevokeAnswer,
  encodeCsrApiRevokeRequest,
  MalformedResponseError,
} from '@certwizard/protocol';
import { CaProtocolError } from '../../errors.js';
import { sendCaRequest, type CaAnswer } from '../../transport/ca-request.js';
import type {
  CertificateValidity,
  EnrollmentMethod,
  EnrollmentRequest,
  MethodContext,
  RenewalWindow,
  RevocationRequest,
  RevocationResult,
  SubmitResult,
} from '../../enroll/enrollment-method.js';
import { methodTransport, type MethodTransportOptions } from '../../enroll/method-context.js';
import { revocationFields, revocationResult } from '../../enroll/revocation.js';
import { fetchRenewalWindow } from '../../enroll/renewal-window.js';
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
 * (`Retry-After`) by the SDK's request layer. `revoke` posts `{"serial", "reason"}` to
 * `/api/csr/:client/revoke`: the client hash is all the CA asks, so it revokes only what was
 * issued to this client (`unknown_certificate` otherwise). `renewalWindow` asks
 * `GET /api/renewal-info/:certId` (no credentials; `undefined` on 404).
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
  const revokeUrl = `${base}${csrApiRevokePath(options.client)}`;
  /** Sends one request with a body; the client hash in the path is the only credential. */
  const send = (what: string, method: 'PUT' | 'POST', url: string, contentType: string, body: string, context: MethodContext): Promise<CaAnswer> =>
    sendCaRequest(
      { what, url, method, headers: { 'content-type': contentType, accept: 'application/json' }, body, initialDelayMs: transport.retryDelayMs },
      transport.forCall(context).context(context.signal, (attempt) => context.onEvent?.({ type: 'ca-retrying', attempt })),
    );
  return Object.freeze({
    name: 'ssl-api',
    async submit(request: EnrollmentRequest, context: MethodContext = {}): Promise<SubmitResult> {
      if (typeof request?.csrPem !== 'string' || request.csrPem === '') throw new TypeError('request.csrPem must be a non-empty string');
      const what = 'PUT /api/csr';
      const { status, body } = await send(what, 'PUT', `${base}${path}`, 'application/x-pem-file', request.csrPem, context);
      let answer: { chainPem: string; revocationSecret?: string };
      try {
        answer = decodeCsrApiAnswer(status, body);
      } catch (error) {
        if (error instanceof CaRejectedError) return { status: 'rejected', caCode: error.caCode, reason: error.message, httpStatus: status };
        if (error instanceof MalformedResponseError) throw new CaProtocolError(`${what}: ${error.message}`, status, { cause: error });
        throw error;
      }
      const secret = answer.revocationSecret !== undefined ? { revocationSecret: answer.revocationSecret } : {};
      return { status: 'issued', ...splitChain(answer.chainPem, what, status), ...secret };
    },
    async revoke(request: RevocationRequest, context: MethodContext = {}): Promise<RevocationResult> {
      const fields = revocationFields(request);
      const what = 'POST /api/csr/:client/revoke';
      const { status, body } = await send(what, 'POST', revokeUrl, CSR_API_REVOKE_MEDIA_TYPE, encodeCsrApiRevokeRequest(fields), context);
      return revocationResult(what, status, fields.serialHex, () => decodeCsrApiRevokeAnswer(status, body));
    },
    renewalWindow(certificate: CertificateValidity, context: MethodContext = {}): Promise<RenewalWindow | undefined> {
      return fetchRenewalWindow(base, transport, certificate, context);
    },
  });
}
