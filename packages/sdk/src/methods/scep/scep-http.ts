/**
 * The HTTP binding of SCEP (RFC 8894 §4): GET with `operation` (and `message`) in the query,
 * PKIOperation by POST (body: the DER) when the CA lists `POSTPKIOperation`. Binary bodies both
 * ways, hence not the SDK's text request layer; one attempt per call (the callers' waits and
 * retries are the flow's), a network failure being `ERR_SDK_CA_UNREACHABLE`.
 */
import { CaProtocolError, CaUnreachableError } from '../../errors.js';

/** Largest answer body read from the CA: a GetCACert chain or a CertRep, well under 1 MiB. */
const MAX_ANSWER_BYTES = 1 << 20;

/** One SCEP answer: its status, content type, body bytes and `Retry-After`. */
export interface ScepAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
  readonly retryAfter: string | null;
}

/** One SCEP HTTP request. `message` (GET) is base64 and URL-encoded here; `body` means POST. */
export interface ScepHttpRequest {
  readonly url: string;
  readonly operation: 'GetCACaps' | 'GetCACert' | 'PKIOperation';
  readonly message?: Uint8Array;
  readonly post?: boolean;
  readonly fetch: typeof fetch;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Sends one SCEP request (RFC 8894 §4.1: `GET url?operation=X[&message=M]`, §4.3: PKIOperation
 * by POST with `application/x-pki-message`). Redirects are not followed: the pinned CA is the one asked.
 * @throws {CaUnreachableError} `ERR_SDK_CA_UNREACHABLE` when the CA cannot be reached.
 * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL` for an answer larger than 1 MiB or a redirect.
 */
export async function scepHttp(request: ScepHttpRequest): Promise<ScepAnswer> {
  const url = new URL(request.url);
  url.searchParams.set('operation', request.operation);
  const post = request.post === true && request.message !== undefined;
  if (request.message !== undefined && !post) url.searchParams.set('message', Buffer.from(request.message).toString('base64'));
  let response: Response;
  try {
    response = await request.fetch(url, {
      method: post ? 'POST' : 'GET',
      redirect: 'manual',
      ...(post ? { body: request.message, headers: { 'content-type': 'application/x-pki-message' } } : {}),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
  } catch (error) {
    if (request.signal?.aborted) throw request.signal.reason;
    throw new CaUnreachableError(`the SCEP service at ${url.origin} could not be reached`, 1, { cause: error, endpoint: `scep ${request.operation}` });
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw new CaProtocolError(`SCEP ${request.operation}: the CA answered with a redirect, which is not followed`, response.status);
  }
  const body = new Uint8Array(await response.arrayBuffer());
  if (body.length > MAX_ANSWER_BYTES) throw new CaProtocolError(`SCEP ${request.operation}: the answer is larger than 1 MiB`, response.status);
  return {
    status: response.status,
    contentType: (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '',
    body,
    retryAfter: response.headers.get('retry-after'),
  };
}
