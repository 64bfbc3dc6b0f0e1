/**
 * Properties of the email ping codecs: the request decoders answer a result for any body (bad
 * input is a result, never a throw) and a decoded request encodes to a body that decodes to it;
 * the answer decoders give the answer, or ERR_PROTOCOL_MALFORMED_RESPONSE /
 * ERR_PROTOCOL_CA_REJECTED with a code documented for that status, never another exception,
 * never a hang; every answer the encoders write decodes to itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProperty, outcome } from '../../pki/src/test-support/property.js';
import {
  ADDRESS_PING_ERRORS,
  decodeAddressPingAnswer,
  decodeAddressPingRequest,
  decodePingConfirmAnswer,
  decodePingConfirmRequest,
  encodeAddressPingAnswer,
  encodeAddressPingRequest,
  encodePingConfirmAnswer,
  encodePingConfirmRequest,
  PING_CONFIRM_ERRORS,
  PING_NONCE_PATTERN,
  PING_TOKEN_PATTERN,
} from './email-ping.js';
import { CaRejectedError } from './errors.js';
import { formBody, isProtocolError, jsonBody, jsonMember, wireText } from './test-support/wire-fuzz.js';

const NONCE = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdl';
const TOKEN = 'q3k0c4mN1vYb7s2L9xW8aQq3k0c4mN1vYb7s2L9xW8a';
const ADDRESS = 'ada@example.net';

const values = fc.oneof(fc.constantFrom(NONCE, TOKEN, ADDRESS, ` ${ADDRESS} `, 'no-at-sign', '', 'a b@c'), wireText([NONCE, ADDRESS]));

describe('decodePingConfirmRequest', () => {
  it('any body: a request that encodes to a body decoding to it, or invalid_request', () => {
    checkProperty(
      fc.property(formBody(['token', 'nonce'], values), (body) => {
        const result = decodePingConfirmRequest(body);
        if (result.ok) expect(decodePingConfirmRequest(encodePingConfirmRequest(result.request))).toEqual(result);
        else expect(result.code).toBe('invalid_request');
      }),
      { numRuns: 300 },
    );
  });

  it('every well-formed request encodes to a body that decodes to it', () => {
    checkProperty(
      fc.property(fc.stringMatching(PING_TOKEN_PATTERN), fc.stringMatching(PING_NONCE_PATTERN), (token, nonce) => {
        expect(decodePingConfirmRequest(encodePingConfirmRequest({ token, nonce }))).toEqual({ ok: true, request: { token, nonce } });
      }),
    );
  });
});

describe('decodeAddressPingRequest', () => {
  it('any form: a request that encodes to a form decoding to it (the encoder also wants an @), or invalid_request', () => {
    checkProperty(
      fc.property(formBody(['email', 'PingNonce'], values), (body) => {
        const result = decodeAddressPingRequest(new URLSearchParams(body));
        if (!result.ok) {
          expect(result.code).toBe('invalid_request');
          return;
        }
        // Whether the address is an address is the CA's to decide; the SDK's encoder asks for an @.
        const encoded = outcome(() => encodeAddressPingRequest(result.request), (e) => e instanceof TypeError && !result.request.email.includes('@'));
        if (encoded.ok) expect(decodeAddressPingRequest(new URLSearchParams(encoded.value))).toEqual(result);
      }),
      { numRuns: 300 },
    );
  });
});

describe('decodePingConfirmAnswer / decodeAddressPingAnswer', () => {
  it.each([
    { name: 'decodePingConfirmAnswer', decode: decodePingConfirmAnswer, encode: encodePingConfirmAnswer, success: 200, word: 'confirmed', errors: PING_CONFIRM_ERRORS },
    { name: 'decodeAddressPingAnswer', decode: decodeAddressPingAnswer, encode: encodeAddressPingAnswer, success: 202, word: 'ping_sent', errors: ADDRESS_PING_ERRORS },
  ])('$name: any status and JSON: the encoder\'s own answer, a documented refusal, or a coded error', ({ decode, encode, success, word, errors }) => {
    const json = jsonBody(['status', 'email', 'error'], jsonMember([word, 'confirmed', ADDRESS, 'a\nb@c', { code: 'nonce_mismatch', message: 'x' }, { code: 'nonce_in_use', message: 'x' }, { code: 'toString', message: 'x' }]));
    checkProperty(
      fc.property(fc.constantFrom(200, 202, 400, 404, 409, 410, 429, 502), json, (httpStatus, body) => {
        const result = outcome(() => decode(httpStatus, body), isProtocolError);
        if (result.ok) {
          expect(httpStatus).toBe(success);
          expect(encode(result.value.email)).toEqual(result.value);
        } else if (result.error instanceof CaRejectedError) {
          expect(Object.hasOwn(errors, result.error.caCode) && (errors as Record<string, number>)[result.error.caCode]).toBe(httpStatus);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('every answer the encoders write decodes to itself', () => {
    const email = fc.oneof(fc.emailAddress(), fc.string({ unit: 'binary', maxLength: 20 }).map((s) => `${s}@x`)).filter((e) => !/[\r\n]/.test(e) && e.length <= 254);
    checkProperty(
      fc.property(email, (address) => {
        expect(decodePingConfirmAnswer(200, JSON.parse(JSON.stringify(encodePingConfirmAnswer(address))))).toEqual({ status: 'confirmed', email: address });
        expect(decodeAddressPingAnswer(202, JSON.parse(JSON.stringify(encodeAddressPingAnswer(address))))).toEqual({ status: 'ping_sent', email: address });
      }),
    );
  });
});
