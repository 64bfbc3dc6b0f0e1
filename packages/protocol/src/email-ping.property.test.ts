/**
 * Properties of the email ping codecs: the request decoders answer a result for any body (bad
 * input is a result, never a throw) and a decoded request encodes to a body that decodes to it;
 * the answer decoders give the answer, or ERR_PROTOCOL_MALFORMED_RESPONSE /
 * ERR_PROTOCOL_CA_REJECTED with a code documented for that status, never another exception,
 * never a hang; every answer the encoders write decodes to itself. The machine's reader of the
 * confirmation answer never throws, re-encodes what it reads, and agrees with the strict decoder
 * wherever that one gives an answer or a documented refusal.
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
  encodePingError,
  PING_CONFIRM_ERRORS,
  PING_NONCE_PATTERN,
  PING_TOKEN_PATTERN,
  type PingConfirmErrorCode,
  readPingConfirmAnswer,
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
        const encoded = outcome(
          () => encodeAddressPingRequest(result.request),
          (e) => e instanceof TypeError && !result.request.email.includes('@'),
        );
        if (encoded.ok) expect(decodeAddressPingRequest(new URLSearchParams(encoded.value))).toEqual(result);
      }),
      { numRuns: 300 },
    );
  });
});

describe('decodePingConfirmAnswer / decodeAddressPingAnswer', () => {
  it.each([
    {
      name: 'decodePingConfirmAnswer',
      decode: decodePingConfirmAnswer,
      encode: encodePingConfirmAnswer,
      success: 200,
      word: 'confirmed',
      errors: PING_CONFIRM_ERRORS,
    },
    {
      name: 'decodeAddressPingAnswer',
      decode: decodeAddressPingAnswer,
      encode: encodeAddressPingAnswer,
      success: 202,
      word: 'ping_sent',
      errors: ADDRESS_PING_ERRORS,
    },
  ])("$name: any status and JSON: the encoder's own answer, a documented refusal, or a coded error", ({ decode, encode, success, word, errors }) => {
    const json = jsonBody(
      ['status', 'email', 'error'],
      jsonMember([
        word,
        'confirmed',
        ADDRESS,
        'a\nb@c',
        { code: 'nonce_mismatch', message: 'x' },
        { code: 'nonce_in_use', message: 'x' },
        { code: 'toString', message: 'x' },
      ]),
    );
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
    const email = fc
      .oneof(
        fc.emailAddress(),
        fc.string({ unit: 'binary', maxLength: 20 }).map((s) => `${s}@x`),
      )
      .filter((e) => !/[\r\n]/.test(e) && e.length <= 254);
    checkProperty(
      fc.property(email, (address) => {
        expect(decodePingConfirmAnswer(200, JSON.parse(JSON.stringify(encodePingConfirmAnswer(address))))).toEqual({ status: 'confirmed', email: address });
        expect(decodeAddressPingAnswer(202, JSON.parse(JSON.stringify(encodeAddressPingAnswer(address))))).toEqual({ status: 'ping_sent', email: address });
      }),
    );
  });
});

describe('readPingConfirmAnswer', () => {
  const json = jsonBody(
    ['status', 'email', 'error'],
    jsonMember([
      'confirmed',
      ADDRESS,
      'a\nb@c',
      { code: 'nonce_mismatch', message: 'x' },
      { code: 'stand_in' },
      { code: 'A-B', message: 'x' },
      { code: 'toString', message: 'x' },
    ]),
  );
  const httpStatus = fc.oneof(fc.constantFrom(200, 201, 302, 400, 404, 409, 410, 429, 500), fc.integer({ min: 100, max: 599 }));

  it('any status and JSON: a reading that re-encodes to an answer read the same, never a throw', () => {
    checkProperty(
      fc.property(httpStatus, fc.option(json, { nil: undefined }), (status, body) => {
        const reading = readPingConfirmAnswer(status, body);
        if (reading.kind === 'confirmed') {
          expect(status).toBe(200);
          // The reader passes on any address the CA names; the CA's encoder only writes addresses.
          const encoded = outcome(
            () => encodePingConfirmAnswer(reading.email),
            (e) => e instanceof TypeError,
          );
          if (encoded.ok) expect(readPingConfirmAnswer(200, JSON.parse(JSON.stringify(encoded.value)))).toEqual(reading);
        } else if (reading.kind === 'refused') {
          expect(status).not.toBe(200);
          const again = JSON.parse(JSON.stringify(encodePingError((reading.caCode ?? 'x-') as PingConfirmErrorCode, 'a message')));
          expect(readPingConfirmAnswer(status, again)).toEqual(reading);
        } else {
          expect(reading).toEqual({ kind: 'malformed', status: 200 });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with decodePingConfirmAnswer on every answer and documented refusal that one gives', () => {
    checkProperty(
      fc.property(httpStatus, json, (status, body) => {
        const strict = outcome(() => decodePingConfirmAnswer(status, body), isProtocolError);
        const reading = readPingConfirmAnswer(status, body);
        if (strict.ok) expect(reading).toEqual({ kind: 'confirmed', email: strict.value.email });
        else if (strict.error instanceof CaRejectedError) expect(reading).toEqual({ kind: 'refused', status, caCode: strict.error.caCode });
      }),
      { numRuns: 300 },
    );
  });
});
