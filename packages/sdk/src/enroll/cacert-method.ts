/**
 * The CAcert-style request API as an {@link EnrollmentMethod} (docs/protocol.md, "CAcert-style
 * request API"): `POST /api/ccsr.php` certifies the key of a CSR for one of the account's
 * addresses; `GET /api/requests/:id` follows a request that waits for the owner's approval.
 */
import {
  CACERT_API_PARAMS,
  CACERT_API_REQUEST_MEDIA_TYPE,
  CaRejectedError,
  CCSR_PATH,
  CEMAILS_PATH,
  decodeCcsrAnswer,
  decodeCemailsAnswer,
  decodeRequestList,
  decodeRequestStatus,
  encodeCcsrRequest,
  MalformedResponseError,
  requestListPath,
  requestStatusPath,
} from '@certwizard/protocol';
import { parseCsr } from '@certwizard/pki';
import { CaProtocolError } from '../errors.js';
import { retryAfterMs } from '../registration/retry-after.js';
import { type CaAnswer as Answer, sendCaRequest, type CaRequest } from '../transport/ca-request.js';
import type { EnrollmentCallOptions, EnrollmentMethod, EnrollmentRequest, PendingRequest, RejectedResult, SubmitResult } from './enrollment-method.js';
import { methodTransport, type MethodTransportOptions } from './method-context.js';
import { splitChain } from './split-chain.js';

/**
 * How the method authenticates: the installation token from `register()` (its requests wait for
 * the owner's approval), or the account's address and password (issued at once: the person is there).
 * Both are secrets: they go in a header or the form body, never in a URL, an error or an event.
 */
export type CacertCredentials = { readonly installationToken: string } | { readonly username: string; readonly password: string };

/** Options of {@link cacertMethod}. */
export interface CacertMethodOptions extends MethodTransportOptions {
  /** Base URL of the CA, e.g. `https://ca.example`. */
  readonly caUrl: string;
  readonly credentials: CacertCredentials;
  /**
   * The address to certify (one of the account's `EMAIL=` values). Default: the request's first
   * `names.email`, else the account's first confirmed address (asked with `/api/cemails.php`).
   */
  readonly email?: string;
  /** The name form to certify (one of the `NAME=` values). Default: the account's first one. */
  readonly name?: string;
  /** Ask for code signing too (the account needs `CS=1`). Default: false. */
  readonly codesign?: boolean;
}

/**
 * An enrollment method for the CAcert-style API.
 *
 * `submit` posts `/api/ccsr.php` (form fields `email`, `name`, `codesign`, `optionalCSR`; the
 * password in the form or the token as `Authorization: Bearer`): `200,Issued` is `issued`,
 * `202,Pending <id>` is `pending`, a documented failure line is `rejected` with its code.
 * `poll` (installation token only: the status endpoint takes no password) asks
 * `GET /api/requests/:id`: pending with the CA's `Retry-After`, issued, or `rejected` with code
 * `rejected` (an approver's reason) or `discarded`.
 *
 * @throws {TypeError} for a bad `caUrl`, credentials other than exactly one of the two kinds, or bad options.
 * @example
 * const method = cacertMethod({ caUrl: 'https://ca.example', credentials: { installationToken } });
 * const certificate = await submit(method, { csrPem, names: { email: ['ada@example.org'] } });
 */
export function cacertMethod(options: CacertMethodOptions): EnrollmentMethod {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { base, transport } = methodTransport(options.caUrl, options);
  const auth = checkCredentials(options.credentials);
  for (const key of ['email', 'name'] as const) {
    if (options[key] !== undefined && (typeof options[key] !== 'string' || options[key] === '')) throw new TypeError(`${key} must be a non-empty string`);
  }
  if (options.codesign !== undefined && typeof options.codesign !== 'boolean') throw new TypeError('codesign must be a boolean');

  const send = (what: string, path: string, fields: URLSearchParams | undefined, signal: AbortSignal | undefined) => {
    const headers: Record<string, string> = { ...auth.headers };
    let body: string | undefined;
    if (fields !== undefined) {
      for (const [k, v] of auth.fields) fields.set(k, v);
      headers['content-type'] = CACERT_API_REQUEST_MEDIA_TYPE;
      body = fields.toString();
    }
    const request: CaRequest = {
      what,
      url: `${base}${path}`,
      method: fields === undefined ? 'GET' : 'POST',
      headers,
      ...(body === undefined ? {} : { body }),
      initialDelayMs: transport.retryDelayMs,
    };
    return sendCaRequest(request, transport.context(signal));
  };

  const submit = async (request: EnrollmentRequest, callOptions: EnrollmentCallOptions = {}): Promise<SubmitResult> => {
    if (typeof request?.csrPem !== 'string' || request.csrPem === '') throw new TypeError('request.csrPem must be a non-empty string');
    let email = options.email ?? request.names?.email?.[0];
    let name = options.name;
    if (email === undefined || name === undefined) {
      // Ask the account what it may certify rather than guess: a wrong name is a refusal.
      const answer = await send('cemails', CEMAILS_PATH, new URLSearchParams(), callOptions.signal);
      const allowed = decode('cemails', answer, () => decodeCemailsAnswer(answer.status, answer.body));
      if ('status' in allowed) return allowed;
      email ??= allowed.emails[0] as string;
      name ??= allowed.names[0] as string;
    }
    const fields = encodeCcsrRequest({ email, name, codeSigning: options.codesign ?? false, csrPem: request.csrPem });
    const answer = await send('ccsr', CCSR_PATH, fields, callOptions.signal);
    const ccsr = decode('ccsr', answer, () => decodeCcsrAnswer(answer.status, answer.body));
    if (ccsr.status === 'rejected') return ccsr;
    if (ccsr.status === 'issued') return { status: 'issued', requestId: ccsr.requestId, ...splitChain(ccsr.chainPem, 'ccsr', answer.status) };
    const wait = retryAfterMs(answer.retryAfter, transport.clock.now());
    return { status: 'pending', requestId: ccsr.requestId, ...(wait === undefined ? {} : { retryAfterMs: wait }) };
  };

  const poll = async (pending: PendingRequest, callOptions: EnrollmentCallOptions = {}): Promise<SubmitResult> => {
    const path = requestStatusPath(pending?.requestId);
    const answer = await send('request status', path, undefined, callOptions.signal);
    const json = parseJson('request status', answer);
    const decoded = decode('request status', answer, () => decodeRequestStatus(answer.status, json, answer.retryAfter));
    if ('status' in decoded) return decoded;
    const state = decoded.answer;
    if (state.id !== pending.requestId) throw new CaProtocolError('request status: the answer is about another request', answer.status);
    switch (state.status) {
      case 'pending':
        return { status: 'pending', requestId: state.id, retryAfterMs: (decoded.retryAfterSeconds ?? 0) * 1000 };
      case 'issued':
        return { status: 'issued', requestId: state.id, ...splitChain(`${state.certificate}\n${state.chain}`, 'request status', answer.status) };
      case 'rejected':
        return { status: 'rejected', caCode: 'rejected', reason: state.reason };
      case 'discarded':
        return { status: 'rejected', caCode: 'discarded', reason: 'the account owner discarded the request' };
    }
  };

  const find = async (request: EnrollmentRequest, callOptions: EnrollmentCallOptions = {}): Promise<SubmitResult | undefined> => {
    if (typeof request?.csrPem !== 'string' || request.csrPem === '') throw new TypeError('request.csrPem must be a non-empty string');
    const fingerprint = parseCsr(request.csrPem).fingerprintSha256;
    const answer = await send('request list', requestListPath({ fingerprint }), undefined, callOptions.signal);
    const json = parseJson('request list', answer);
    const listed = decode('request list', answer, () => decodeRequestList(answer.status, json));
    if ('status' in listed) return listed;
    // Newest first: the request that counts is the latest one made from this CSR.
    const latest = listed.find((entry) => entry.fingerprint === fingerprint);
    if (latest === undefined) return undefined;
    return poll({ status: 'pending', requestId: latest.id }, callOptions);
  };

  // Only the token can read requests back: with a password the request is issued at once anyway.
  return Object.freeze(auth.kind === 'token' ? { name: 'cacert', submit, poll, find } : { name: 'cacert', submit });
}

/** The answer's body as JSON, or `ERR_SDK_CA_PROTOCOL`. */
function parseJson(what: string, answer: Answer): unknown {
  try {
    return JSON.parse(answer.body);
  } catch (error) {
    throw new CaProtocolError(`${what}: the CA answered ${answer.status} with a body that is not JSON`, answer.status, { cause: error });
  }
}

/** Runs a decoder: documented refusals become a `rejected` result, contract breaches `ERR_SDK_CA_PROTOCOL`. */
function decode<T>(what: string, answer: Answer, decoder: () => T): T | RejectedResult {
  try {
    return decoder();
  } catch (error) {
    if (error instanceof CaRejectedError) return { status: 'rejected', caCode: error.caCode, reason: error.message, httpStatus: answer.status };
    if (error instanceof MalformedResponseError) throw new CaProtocolError(`${what}: ${error.message}`, answer.status, { cause: error });
    throw error;
  }
}

/** The headers and form fields that carry the credentials. */
function checkCredentials(credentials: CacertCredentials): {
  kind: 'token' | 'password';
  headers: Record<string, string>;
  fields: Array<[string, string]>;
} {
  if (credentials === null || typeof credentials !== 'object') throw new TypeError('credentials must be an object');
  const hasToken = 'installationToken' in credentials;
  const hasPassword = 'username' in credentials || 'password' in credentials;
  if (hasToken === hasPassword) throw new TypeError('credentials must hold either installationToken or username and password');
  if (hasToken) {
    const token = credentials.installationToken;
    // RFC 6750 §2.1 b64token characters only: anything else could split the header.
    if (typeof token !== 'string' || !/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) throw new TypeError('installationToken must be a bearer token');
    return { kind: 'token', headers: { authorization: `Bearer ${token}` }, fields: [] };
  }
  const { username, password } = credentials as { username: unknown; password: unknown };
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new TypeError('username and password must be non-empty strings');
  }
  return {
    kind: 'password',
    headers: {},
    fields: [
      [CACERT_API_PARAMS.username, username],
      [CACERT_API_PARAMS.password, password],
    ],
  };
}
