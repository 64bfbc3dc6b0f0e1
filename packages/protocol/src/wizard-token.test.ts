import { describe, expect, it } from 'vitest';
import { CaRejectedError } from './errors.js';
import {
  decodeWizardTokenRequest,
  decodeWizardTokenResponse,
  encodeWizardTokenError,
  encodeWizardTokenRequest,
  isValidInstallationLabel,
  encodeWizardTokenResponse,
  newWizardCode,
  WIZARD_CODE_PATTERN,
  WIZARD_TOKEN_ERRORS,
  WIZARD_TOKEN_PATH,
  type WizardTokenResponse,
} from './wizard-token.js';
import { codeOf } from './test-support/code-of.js';

const CODE = 'c29tZS1vbmUtdGltZS1jb2RlLXRoYXQtaXMtbG9uZw';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const TOKEN = 'itk_secret_value_never_logged';
const RESPONSE: WizardTokenResponse = {
  EmailAddress: 'a+b@example.org',
  FirstName: 'Ada',
  MiddleName: 'B',
  LastName: 'Lovelace',
  installation_token: TOKEN,
  token_type: 'Bearer',
};

describe('wizard token request', () => {
  it('has the documented path', () => {
    expect(WIZARD_TOKEN_PATH).toBe('/api/wizard/token');
  });

  it('encodes as form-urlencoded and decodes back', () => {
    const body = encodeWizardTokenRequest({ code: CODE, codeVerifier: VERIFIER });
    expect(body).toBe(`code=${CODE}&code_verifier=${VERIFIER}`);
    expect(decodeWizardTokenRequest(body)).toEqual({ ok: true, request: { code: CODE, codeVerifier: VERIFIER } });
  });

  it.each([
    { name: 'extra parameters are ignored (RFC 6749 §3.2)', input: `grant_type=authorization_code&code=${CODE}&code_verifier=${VERIFIER}`, want: true },
    { name: 'a missing code', input: `code_verifier=${VERIFIER}`, want: false },
    { name: 'a missing verifier', input: `code=${CODE}`, want: false },
    { name: 'a repeated code', input: `code=${CODE}&code=${CODE}&code_verifier=${VERIFIER}`, want: false },
    { name: 'a repeated verifier', input: `code=${CODE}&code_verifier=${VERIFIER}&code_verifier=${VERIFIER}`, want: false },
    { name: 'a short code', input: `code=abc&code_verifier=${VERIFIER}`, want: false },
    { name: 'a short verifier', input: `code=${CODE}&code_verifier=abc`, want: false },
    { name: 'a verifier with a + decoded to space', input: `code=${CODE}&code_verifier=${VERIFIER.slice(1)}+`, want: false },
    { name: 'a JSON body', input: JSON.stringify({ code: CODE, code_verifier: VERIFIER }), want: false },
    { name: 'an empty body', input: '', want: false },
  ])('decode: $name → ok=$want', ({ input, want }) => {
    const result = decodeWizardTokenRequest(input);
    expect(result.ok).toBe(want);
    if (!result.ok) {
      expect(result.error).toBe('invalid_request');
      expect(result.message).not.toContain(VERIFIER);
    }
  });

  it.each([
    { name: 'a malformed code', input: { code: 'x', codeVerifier: VERIFIER } },
    { name: 'a malformed verifier', input: { code: CODE, codeVerifier: 'x' } },
  ])('encode throws TypeError for $name', ({ input }) => {
    expect(() => encodeWizardTokenRequest(input)).toThrow(TypeError);
  });

  it('refuses an installation token proposed by the client: the CA makes every token (hardening: no client-chosen tokens)', () => {
    const own = 'A'.repeat(43);
    const body = encodeWizardTokenRequest({ code: CODE, codeVerifier: VERIFIER });
    expect(body).not.toContain('installation_token');
    expect(decodeWizardTokenRequest(`${body}&installation_token=${own}`)).toMatchObject({ ok: false, error: 'invalid_request' });
    expect(decodeWizardTokenRequest(`${body}&installation_token=`)).toMatchObject({ ok: false, error: 'invalid_request' });
  });

  it('newWizardCode makes a 43-character code matching the pattern', () => {
    expect(newWizardCode()).toMatch(WIZARD_CODE_PATTERN);
    expect(newWizardCode(() => new Uint8Array(32))).toBe('A'.repeat(43));
  });
});

describe('wizard token response', () => {
  it.each([
    { name: 'all fields', input: RESPONSE, want: RESPONSE },
    {
      name: 'no middle name',
      input: { ...RESPONSE, MiddleName: undefined },
      want: { EmailAddress: RESPONSE.EmailAddress, FirstName: 'Ada', LastName: 'Lovelace', installation_token: TOKEN, token_type: 'Bearer' },
    },
    {
      name: 'an empty middle name is left out',
      input: { ...RESPONSE, MiddleName: '' },
      want: { EmailAddress: RESPONSE.EmailAddress, FirstName: 'Ada', LastName: 'Lovelace', installation_token: TOKEN, token_type: 'Bearer' },
    },
  ])('round-trips $name through JSON text', ({ input, want }) => {
    const body = JSON.stringify(encodeWizardTokenResponse(input as WizardTokenResponse));
    expect(decodeWizardTokenResponse(200, body)).toEqual(want);
  });

  it.each([
    { name: 'a body that is not JSON', input: { status: 200, body: '<html>' } },
    { name: 'a missing installation_token', input: { status: 200, body: JSON.stringify({ ...RESPONSE, installation_token: undefined }) } },
    { name: 'an empty EmailAddress', input: { status: 200, body: JSON.stringify({ ...RESPONSE, EmailAddress: '' }) } },
    { name: 'a lower-case emailAddress', input: { status: 200, body: JSON.stringify({ ...RESPONSE, EmailAddress: undefined, emailAddress: 'a@b.example' }) } },
    { name: 'a token_type other than Bearer', input: { status: 200, body: JSON.stringify({ ...RESPONSE, token_type: 'MAC' }) } },
    { name: 'a non-string MiddleName', input: { status: 200, body: JSON.stringify({ ...RESPONSE, MiddleName: 1 }) } },
    { name: 'null', input: { status: 200, body: 'null' } },
    { name: 'an error status without an error body', input: { status: 400, body: '{}' } },
    { name: 'an error status with HTML', input: { status: 502, body: '<html>' } },
  ])('refuses $name with ERR_PROTOCOL_MALFORMED_RESPONSE', ({ input }) => {
    expect(codeOf(() => decodeWizardTokenResponse(input.status, input.body))).toBe('ERR_PROTOCOL_MALFORMED_RESPONSE');
  });

  it('never puts the token into a malformed-response message', () => {
    const body = JSON.stringify({ ...RESPONSE, token_type: 'MAC' });
    expect(() => decodeWizardTokenResponse(200, body)).toThrow(/^(?![\s\S]*itk_secret)/);
  });

  it.each([
    { name: 'invalid_grant', input: { status: 400, code: 'invalid_grant' as const } },
    { name: 'invalid_request', input: { status: 400, code: 'invalid_request' as const } },
    { name: 'too_many_requests', input: { status: 429, code: 'too_many_requests' as const } },
  ])('throws CaRejectedError carrying $name and the status', ({ input }) => {
    const body = JSON.stringify(encodeWizardTokenError(input.code, 'refused'));
    expect(WIZARD_TOKEN_ERRORS[input.code]).toBe(input.status);
    try {
      decodeWizardTokenResponse(input.status, body);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CaRejectedError);
      expect(err).toMatchObject({ code: 'ERR_PROTOCOL_CA_REJECTED', caCode: input.code, status: input.status });
    }
  });

  it('encode throws TypeError for a response without a token', () => {
    expect(() => encodeWizardTokenResponse({ ...RESPONSE, installation_token: '' })).toThrow(TypeError);
  });
});

describe('installation_label', () => {
  const code = 'C'.repeat(43);
  const codeVerifier = 'v'.repeat(43);

  it('goes with the request when given, and reads back', () => {
    const body = encodeWizardTokenRequest({ code, codeVerifier, installationLabel: 'ExampleMail installer' });
    expect(new URLSearchParams(body).get('installation_label')).toBe('ExampleMail installer');
    expect(decodeWizardTokenRequest(body)).toEqual({ ok: true, request: { code, codeVerifier, installationLabel: 'ExampleMail installer' } });
    expect(decodeWizardTokenRequest(encodeWizardTokenRequest({ code, codeVerifier }))).toEqual({ ok: true, request: { code, codeVerifier } });
  });

  it.each(['', 'x'.repeat(101), 'a\u0000b', 'a\nb', 'a\u0085b', 'a\u202Eb', 'a\u2066b', 'a\u200Fb'])('refuses %j on both sides', (label) => {
    expect(isValidInstallationLabel(label)).toBe(false);
    expect(() => encodeWizardTokenRequest({ code, codeVerifier, installationLabel: label })).toThrow(TypeError);
    const body = new URLSearchParams({ code, code_verifier: codeVerifier, installation_label: label }).toString();
    expect(decodeWizardTokenRequest(body)).toMatchObject({ ok: false });
  });

  it('refuses a lone surrogate before it is sent (a form body would carry it as U+FFFD)', () => {
    expect(isValidInstallationLabel('a\uD800b')).toBe(false);
    expect(() => encodeWizardTokenRequest({ code, codeVerifier, installationLabel: 'a\uD800b' })).toThrow(TypeError);
  });

  it('accepts 100 characters, counted as characters, not UTF-16 units', () => {
    expect(isValidInstallationLabel('é'.repeat(100))).toBe(true);
    expect(isValidInstallationLabel('😀'.repeat(100))).toBe(true);
    expect(isValidInstallationLabel('😀'.repeat(101))).toBe(false);
  });

  it('is refused when sent twice', () => {
    expect(decodeWizardTokenRequest(`code=${code}&code_verifier=${codeVerifier}&installation_label=a&installation_label=b`)).toMatchObject({ ok: false });
  });
});
