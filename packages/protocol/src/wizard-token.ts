/**
 * The wizard token endpoint: `POST /api/wizard/token` exchanges the registration page's one-time
 * `code` and the PKCE `code_verifier` (RFC 7636 §4.5) for the confirmed address, the account's
 * names and an installation token scoped to that account. Documented in docs/protocol.md.
 */
import { randomBytes } from 'node:crypto';
import { CaRejectedError, MalformedResponseError } from './errors.js';
import { hasLoneSurrogate } from './lone-surrogate.js';
import { isValidVerifier, randomBase64Url, type RandomSource } from './pkce.js';

/** Path of the endpoint, relative to the CA's base URL. */
export const WIZARD_TOKEN_PATH = '/api/wizard/token';

/** Media type of the request body (as for an OAuth 2.0 token request, RFC 6749 §4.1.3). */
export const WIZARD_TOKEN_REQUEST_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/**
 * What a one-time `code` looks like: base64url, 22 to 128 characters. The reference CA makes 43
 * (32 random bytes, {@link newWizardCode}); a peer must not assume more than the pattern.
 */
export const WIZARD_CODE_PATTERN = /^[A-Za-z0-9_-]{22,128}$/;

/**
 * Error codes of the endpoint, with their HTTP status. Codes are API: added, never renamed.
 * The names follow RFC 6749 §5.2 where one fits; the body shape is ours (see {@link WizardTokenErrorBody}).
 */
export const WIZARD_TOKEN_ERRORS = {
  /** A parameter is missing, repeated or malformed, or the body is not form-urlencoded. */
  invalid_request: 400,
  /** The code is unknown, used, expired, or the verifier does not match its challenge. */
  invalid_grant: 400,
  /** Too many attempts; try again after `Retry-After`. */
  too_many_requests: 429,
  /** Known path, wrong method. */
  method_not_allowed: 405,
  /** A failure on the CA's side; the details are in its log, not in the answer. */
  internal_error: 500,
  /** The CA is shutting down or overloaded; try again later. */
  unavailable: 503,
} as const;

/** One of the documented error codes of the endpoint. */
export type WizardTokenErrorCode = keyof typeof WIZARD_TOKEN_ERRORS;

/** The request, decoded. */
export interface WizardTokenRequest {
  /** The one-time `code` from the continue link or the `isitdone` done answer. */
  readonly code: string;
  /** The PKCE verifier whose S256 challenge was in the registration URL. */
  readonly codeVerifier: string;
  /**
   * `installation_label`: what the installer calls itself ("ExampleMail installer"), shown to the
   * account's owner next to the installation token it gets (the account page lists them). 1 to
   * {@link INSTALLATION_LABEL_MAX_CHARS} characters, no control or bidi-control character. Not a
   * secret and not personal: the vendor's product name, not the person's.
   */
  readonly installationLabel?: string;
}

/** Longest `installation_label`, in characters. */
export const INSTALLATION_LABEL_MAX_CHARS = 100;

/**
 * Whether `label` may be an `installation_label`: 1 to {@link INSTALLATION_LABEL_MAX_CHARS}
 * characters with no control character (C0, DEL, C1), no bidi control (it would reorder what the
 * account page shows around it) and no lone surrogate.
 * @example
 * isValidInstallationLabel('ExampleMail installer'); // true
 */
export function isValidInstallationLabel(label: unknown): label is string {
  return (
    typeof label === 'string' &&
    label.length > 0 &&
    [...label].length <= INSTALLATION_LABEL_MAX_CHARS &&
    !/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(label) &&
    !hasLoneSurrogate(label)
  );
}

/** An installation token: 32 random bytes, base64url without padding. */
export const INSTALLATION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Result of {@link decodeWizardTokenRequest}: the request, or why it is refused. */
export type WizardTokenRequestResult =
  { readonly ok: true; readonly request: WizardTokenRequest } | { readonly ok: false; readonly error: 'invalid_request'; readonly message: string };

/** Success body (200, `application/json`). Field names are the wire names. */
export interface WizardTokenResponse {
  /** The address confirmed by the registration. */
  readonly EmailAddress: string;
  /** May be empty, never absent. */
  readonly FirstName: string;
  /** Absent when the account has none. */
  readonly MiddleName?: string;
  /** May be empty, never absent. */
  readonly LastName: string;
  /** Bearer token for the CA's API, scoped to this account only. A secret: never log it. */
  readonly installation_token: string;
  readonly token_type: 'Bearer';
}

/** Error body, as on the other JSON endpoints of the CA. */
export interface WizardTokenErrorBody {
  readonly error: { readonly code: WizardTokenErrorCode; readonly message: string };
}

/**
 * Makes a one-time code: 32 random bytes, base64url (43 characters).
 * @param random - source of random bytes; inject a fixed one only in tests.
 * @throws {TypeError} when `random` does not return 32 bytes.
 * @example
 * const code = newWizardCode();
 */
export function newWizardCode(random: RandomSource = randomBytes): string {
  return randomBase64Url(random, 32);
}

/**
 * Encodes the request body (RFC 7636 §4.5: the verifier goes with the code).
 * @throws {TypeError} when `code` does not match {@link WIZARD_CODE_PATTERN} or `codeVerifier`
 *   is not a valid verifier (RFC 7636 §4.1).
 * @example
 * encodeWizardTokenRequest({ code, codeVerifier: pair.verifier }); // 'code=...&code_verifier=...'
 */
export function encodeWizardTokenRequest(request: WizardTokenRequest): string {
  if (typeof request.code !== 'string' || !WIZARD_CODE_PATTERN.test(request.code)) throw new TypeError('code must be 22 to 128 base64url characters');
  if (!isValidVerifier(request.codeVerifier)) throw new TypeError('codeVerifier must be 43 to 128 characters of [A-Za-z0-9-._~]');
  if (request.installationLabel !== undefined && !isValidInstallationLabel(request.installationLabel)) {
    throw new TypeError(`installationLabel must be 1 to ${INSTALLATION_LABEL_MAX_CHARS} characters without control or bidi-control characters`);
  }
  return new URLSearchParams({
    code: request.code,
    code_verifier: request.codeVerifier,
    ...(request.installationLabel === undefined ? {} : { installation_label: request.installationLabel }),
  }).toString();
}

/**
 * Decodes a request body as the CA does. Unknown parameters are ignored and a repeated one is
 * refused, as RFC 6749 §3.2 asks of token endpoints. `installation_token` is refused: the CA
 * makes every installation token itself (a client that proposes one, as an earlier version of
 * this contract allowed, must not believe its value was used). Bad input is a result, never a throw, so the
 * CA maps it to `invalid_request` at its edge; the message never contains the values.
 * @param body - the raw `application/x-www-form-urlencoded` body.
 * @example
 * decodeWizardTokenRequest('code=...&code_verifier=...'); // { ok: true, request: { code, codeVerifier } }
 */
export function decodeWizardTokenRequest(body: string): WizardTokenRequestResult {
  if (typeof body !== 'string') return invalid('the body is not text');
  const params = new URLSearchParams(body);
  const codes = params.getAll('code');
  const verifiers = params.getAll('code_verifier');
  if (codes.length !== 1 || verifiers.length !== 1) return invalid('code and code_verifier must each be sent exactly once');
  const [code] = codes as [string];
  const [codeVerifier] = verifiers as [string];
  if (!WIZARD_CODE_PATTERN.test(code)) return invalid('code is not 22 to 128 base64url characters');
  if (!isValidVerifier(codeVerifier)) return invalid('code_verifier is not 43 to 128 characters of [A-Za-z0-9-._~]');
  if (params.has('installation_token')) return invalid('installation_token is not accepted: the CA makes the installation token');
  const labels = params.getAll('installation_label');
  if (labels.length > 1) return invalid('installation_label must be sent at most once');
  const [installationLabel] = labels;
  if (installationLabel !== undefined && !isValidInstallationLabel(installationLabel)) {
    return invalid(`installation_label must be 1 to ${INSTALLATION_LABEL_MAX_CHARS} characters without control or bidi-control characters`);
  }
  return { ok: true, request: { code, codeVerifier, ...(installationLabel === undefined ? {} : { installationLabel }) } };
}

/**
 * Builds the success body, checking its shape so the CA cannot send a malformed one.
 * @throws {TypeError} when a field is missing or not a string, `EmailAddress` or
 *   `installation_token` is empty, or `token_type` is not `Bearer`. An empty `MiddleName` is left out.
 * @example
 * encodeWizardTokenResponse({ EmailAddress: 'a@b.example', FirstName: 'A', LastName: 'B', installation_token: t, token_type: 'Bearer' });
 */
export function encodeWizardTokenResponse(response: WizardTokenResponse): WizardTokenResponse {
  const problem = responseProblem(response);
  if (problem !== undefined) throw new TypeError(`wizard token response: ${problem}`);
  const { EmailAddress, FirstName, MiddleName, LastName, installation_token } = response;
  return MiddleName === undefined || MiddleName === ''
    ? { EmailAddress, FirstName, LastName, installation_token, token_type: 'Bearer' }
    : { EmailAddress, FirstName, MiddleName, LastName, installation_token, token_type: 'Bearer' };
}

/**
 * Builds an error body.
 * @example
 * encodeWizardTokenError('invalid_grant', 'the code is unknown or used'); // { error: { code, message } }
 */
export function encodeWizardTokenError(code: WizardTokenErrorCode, message: string): WizardTokenErrorBody {
  return { error: { code, message } };
}

/**
 * Decodes an answer of the endpoint, as the SDK does.
 * @param status - HTTP status of the answer.
 * @param body - the answer body as text.
 * @returns the success body on 200.
 * @throws {CaRejectedError} `ERR_PROTOCOL_CA_REJECTED` with the CA's `caCode` (e.g. `invalid_grant`)
 *   for an error body.
 * @throws {MalformedResponseError} `ERR_PROTOCOL_MALFORMED_RESPONSE` for anything else; the
 *   message never contains the token.
 * @example
 * const { EmailAddress, installation_token } = decodeWizardTokenResponse(res.status, await res.text());
 */
export function decodeWizardTokenResponse(status: number, body: string): WizardTokenResponse {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new MalformedResponseError(`wizard token endpoint answered ${status} with a body that is not JSON`, status, { cause: err });
  }
  if (status === 200) {
    const problem = responseProblem(json);
    if (problem !== undefined) throw new MalformedResponseError(`wizard token endpoint answered 200 with a malformed body: ${problem}`, status);
    return encodeWizardTokenResponse(json as WizardTokenResponse);
  }
  const error = (json as Partial<WizardTokenErrorBody> | null)?.error;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') {
    throw new MalformedResponseError(`wizard token endpoint answered ${status} without an error body`, status);
  }
  throw new CaRejectedError(`the CA refused the code: ${error.message} (${error.code})`, status, error.code);
}

function invalid(message: string): WizardTokenRequestResult {
  return { ok: false, error: 'invalid_request', message };
}

/** What is wrong with a success body, by field name only (never the values: one is a secret). */
function responseProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object';
  const body = value as Record<string, unknown>;
  for (const field of ['EmailAddress', 'installation_token'] as const) {
    if (typeof body[field] !== 'string' || body[field] === '') return `${field} is missing or empty`;
  }
  // Names may be empty (a person with a single name); they must still be present.
  for (const field of ['FirstName', 'LastName'] as const) {
    if (typeof body[field] !== 'string') return `${field} is missing`;
  }
  if (body.MiddleName !== undefined && typeof body.MiddleName !== 'string') return 'MiddleName is not a string';
  if (body.token_type !== 'Bearer') return 'token_type is not Bearer';
  return undefined;
}
