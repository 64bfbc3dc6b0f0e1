/**
 * Properties of the wizard token endpoint's codecs: the request decoder answers a result for any
 * body (bad input is a result, never a throw), and a decoded request encodes to a body that
 * decodes to it; the answer decoder gives a response, or ERR_PROTOCOL_MALFORMED_RESPONSE /
 * ERR_PROTOCOL_CA_REJECTED, never another exception, and a decoded response is the encoder's own
 * (JSON of it decodes to it). Never a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProperty, outcome } from '../../pki/src/test-support/property.js';
import { CaRejectedError } from './errors.js';
import { PKCE_VERIFIER_PATTERN } from './pkce.js';
import { formBody, isProtocolError, jsonBody, jsonMember, wireText } from './test-support/wire-fuzz.js';
import {
  decodeWizardTokenRequest,
  decodeWizardTokenResponse,
  encodeWizardTokenError,
  encodeWizardTokenRequest,
  encodeWizardTokenResponse,
  WIZARD_CODE_PATTERN,
  type WizardTokenResponse,
} from './wizard-token.js';

const CODE = 'Yk3nYk3nYk3nYk3nYk3nYk3nYk3nYk3nYk3nYk3nYk3';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const TOKEN = 'A'.repeat(43);

describe('decodeWizardTokenRequest', () => {
  it('any body: a request that encodes to a body decoding to it, or invalid_request without the values', () => {
    const body = formBody(['code', 'code_verifier', 'installation_token'], fc.oneof(fc.constantFrom(CODE, VERIFIER, TOKEN, ''), wireText([CODE, VERIFIER])));
    checkProperty(
      fc.property(body, (text) => {
        const result = decodeWizardTokenRequest(text);
        if (result.ok) {
          expect(decodeWizardTokenRequest(encodeWizardTokenRequest(result.request))).toEqual(result);
          return;
        }
        expect(result.error).toBe('invalid_request');
        for (const v of new URLSearchParams(text).values()) if (v.length >= 16) expect(result.message).not.toContain(v);
      }),
      { numRuns: 400 },
    );
  });

  it('every well-formed request encodes to a body that decodes to it', () => {
    checkProperty(
      fc.property(fc.stringMatching(WIZARD_CODE_PATTERN), fc.stringMatching(PKCE_VERIFIER_PATTERN), (code, codeVerifier) => {
        expect(decodeWizardTokenRequest(encodeWizardTokenRequest({ code, codeVerifier }))).toEqual({ ok: true, request: { code, codeVerifier } });
      }),
    );
  });
});

const response = fc.record(
  {
    EmailAddress: fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
    FirstName: fc.string({ unit: 'binary', maxLength: 8 }),
    MiddleName: fc.string({ unit: 'binary', maxLength: 8 }),
    LastName: fc.string({ unit: 'binary', maxLength: 8 }),
    installation_token: fc.string({ minLength: 1, maxLength: 43 }),
    token_type: fc.constant('Bearer' as const),
  },
  { requiredKeys: ['EmailAddress', 'FirstName', 'LastName', 'installation_token', 'token_type'] },
);

describe('decodeWizardTokenResponse', () => {
  it("any status and body: the encoder's own response, a refusal that re-encodes to itself, or a coded error", () => {
    const fields = ['EmailAddress', 'FirstName', 'MiddleName', 'LastName', 'installation_token', 'token_type', 'error'];
    const json = jsonBody(fields, jsonMember(['a@b.example', 'Ada', '', TOKEN, 'Bearer', 'bearer', { code: 'invalid_grant', message: 'used' }, { code: 7 }]));
    const body = fc.oneof(
      json.map((j) => JSON.stringify(j) ?? ''),
      wireText(['{"error":{"code":"invalid_grant","message":"x"}}']),
    );
    checkProperty(
      fc.property(fc.constantFrom(200, 400, 429, 500), body, (status, text) => {
        const result = outcome(() => decodeWizardTokenResponse(status, text), isProtocolError);
        if (result.ok) {
          expect(status).toBe(200);
          expect(encodeWizardTokenResponse(result.value)).toEqual(result.value);
          expect(decodeWizardTokenResponse(200, JSON.stringify(result.value))).toEqual(result.value);
        } else if (result.error instanceof CaRejectedError) {
          const { caCode } = result.error;
          const again = outcome(
            () => decodeWizardTokenResponse(status, JSON.stringify(encodeWizardTokenError(caCode as 'invalid_grant', 'm'))),
            isProtocolError,
          );
          expect(again).toMatchObject({ ok: false, error: { caCode, status } });
        }
      }),
      { numRuns: 400 },
    );
  });

  it("every response the encoder accepts decodes, from its JSON, to the encoder's output", () => {
    checkProperty(
      fc.property(response, (r: WizardTokenResponse) => {
        const encoded = encodeWizardTokenResponse(r);
        expect(decodeWizardTokenResponse(200, JSON.stringify(encoded))).toEqual(encoded);
      }),
    );
  });
});
