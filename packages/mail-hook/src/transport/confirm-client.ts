/**
 * The machine confirmation of a ping: `POST <caOrigin>/api/ping/confirm` with the form fields
 * `token` and `nonce`. The only network request the hook makes, and only to the pinned origin.
 * Request and answer are the wire contract's (`@certwizard/protocol`, email-ping.ts): this file
 * only moves the bytes, bounded in time and size.
 */
import {
  encodePingConfirmRequest,
  PING_ANSWER_MEDIA_TYPE,
  PING_CONFIRM_API_PATH,
  PING_REQUEST_MEDIA_TYPE,
  readPingConfirmAnswer,
  type PingConfirmReading,
  type PingConfirmRequest,
} from '@certwizard/protocol';

/** Limits of one confirmation request; validated by the caller. */
export interface ConfirmLimits {
  /** Whole request, connect to last byte of the answer, in milliseconds. */
  readonly timeoutMs: number;
  /** Largest answer body read, in bytes; a larger one is a bad answer. */
  readonly maxResponseBytes: number;
  /** Aborting it ends the request (counted as unreachable). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * How a confirmation request ended: the CA's answer as `readPingConfirmAnswer` reads it (a body
 * over the size cap reads as no JSON), or one of the two endings that have no answer to read.
 */
export type ConfirmOutcome =
  | PingConfirmReading
  /** No answer: connection refused, reset, timeout, abort. */
  | { readonly kind: 'unreachable' }
  /** A 3xx answer; never followed. */
  | { readonly kind: 'redirect'; readonly status: number };

/**
 * Sends the confirmation. Every ending is an outcome; redirects are not followed
 * (`redirect: 'manual'`): the hook talks to the pinned origin and nothing else.
 * @param caOrigin - the pinned origin, as `parseCaOrigin` returns it; the only host contacted.
 * @throws {TypeError} only for a malformed token or nonce, which the caller has already refused.
 */
export async function postConfirmation(caOrigin: string, fields: PingConfirmRequest, limits: ConfirmLimits): Promise<ConfirmOutcome> {
  const body = encodePingConfirmRequest(fields);
  const signals = [AbortSignal.timeout(limits.timeoutMs), ...(limits.signal ? [limits.signal] : [])];
  const signal = AbortSignal.any(signals);
  let response: Response;
  try {
    response = await fetch(`${caOrigin}${PING_CONFIRM_API_PATH}`, {
      method: 'POST',
      headers: { 'content-type': PING_REQUEST_MEDIA_TYPE, accept: PING_ANSWER_MEDIA_TYPE },
      body,
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
  const answer = await readBounded(response, limits.maxResponseBytes);
  if (answer === 'unreachable') return { kind: 'unreachable' };
  return readPingConfirmAnswer(status, answer === 'too-large' ? undefined : parseJson(answer));
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
