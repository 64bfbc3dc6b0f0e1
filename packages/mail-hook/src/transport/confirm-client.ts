/**
 * The machine confirmation of a ping: `POST <caOrigin>/api/ping/confirm` with the form fields
 * `token` and `nonce`. The only network request the hook makes, and only to the pinned origin.
 *
 * Answers (wire contract): 200 `{"status":"confirmed","email":"a@b"}` (also for a repeat of an
 * already-confirmed token with the same nonce); errors `{"error":{"code","message"}}` with 400
 * `invalid_request`, 404 `unknown_token`, 409 `nonce_mismatch`, 410 `expired_token`, 429
 * `too_many_requests`.
 */

/** The path of the machine confirmation on the CA origin. */
export const CONFIRM_API_PATH = '/api/ping/confirm';

/** Limits of one confirmation request; validated by the caller. */
export interface ConfirmLimits {
  /** Whole request, connect to last byte of the answer, in milliseconds. */
  readonly timeoutMs: number;
  /** Largest answer body read, in bytes; a larger one is a bad answer. */
  readonly maxResponseBytes: number;
  /** Aborting it ends the request (counted as unreachable). */
  readonly signal?: AbortSignal | undefined;
}

/** How a confirmation request ended. */
export type ConfirmOutcome =
  /** 200 with `status: "confirmed"`; `email` is what the CA says it confirmed. */
  | { readonly kind: 'confirmed'; readonly email: string }
  /** No answer: connection refused, reset, timeout, abort. */
  | { readonly kind: 'unreachable' }
  /** A 3xx answer; never followed. */
  | { readonly kind: 'redirect'; readonly status: number }
  /** A non-2xx answer; `caErrorCode` is the contract's `error.code` when the body had one. */
  | { readonly kind: 'refused'; readonly status: number; readonly caErrorCode: string | undefined }
  /** A 2xx answer that is not the contract's JSON, or a body over the size cap. */
  | { readonly kind: 'bad-response'; readonly status: number };

/**
 * Sends the confirmation. Never throws: every ending is an outcome. Redirects are not followed
 * (`redirect: 'manual'`): the hook talks to the pinned origin and nothing else.
 * @param caOrigin - the pinned origin, as `parseCaOrigin` returns it; the only host contacted.
 */
export async function postConfirmation(caOrigin: string, fields: { readonly token: string; readonly nonce: string }, limits: ConfirmLimits): Promise<ConfirmOutcome> {
  const signals = [AbortSignal.timeout(limits.timeoutMs), ...(limits.signal ? [limits.signal] : [])];
  const signal = AbortSignal.any(signals);
  let response: Response;
  try {
    response = await fetch(`${caOrigin}${CONFIRM_API_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token: fields.token, nonce: fields.nonce }).toString(),
      redirect: 'manual',
      signal,
      // No cookies: one self-contained request.
      credentials: 'omit',
    });
  } catch {
    return { kind: 'unreachable' };
  }
  const status = response.status;
  if (status >= 300 && status < 400) {
    await response.body?.cancel().catch(() => {});
    return { kind: 'redirect', status };
  }
  const body = await readBounded(response, limits.maxResponseBytes);
  if (body === 'unreachable') return { kind: 'unreachable' };
  const json = body === 'too-large' ? undefined : parseJson(body);
  if (status !== 200) {
    const error = isObject(json) && isObject(json.error) ? json.error : undefined;
    const caErrorCode = typeof error?.code === 'string' && /^[a-z_]{1,64}$/.test(error.code) ? error.code : undefined;
    return { kind: 'refused', status, caErrorCode };
  }
  if (!isObject(json) || json.status !== 'confirmed' || typeof json.email !== 'string') return { kind: 'bad-response', status };
  return { kind: 'confirmed', email: json.email };
}

/** The body as text, `'too-large'` past `maxBytes`, `'unreachable'` when the connection fails meanwhile. */
async function readBounded(response: Response, maxBytes: number): Promise<string | 'too-large' | 'unreachable'> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    return 'too-large';
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        return 'too-large';
      }
      chunks.push(value);
    }
  } catch {
    return 'unreachable';
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
