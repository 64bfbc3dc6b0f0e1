/**
 * Properties of the CAcert-style request API codecs over any input: a value, or
 * ERR_PROTOCOL_MALFORMED_RESPONSE / ERR_PROTOCOL_CA_REJECTED (with a documented code and its
 * status), never another exception, never a hang; request decoders answer a result, never throw.
 * The round trips: a decoded cemails or ccsr answer encodes to the body received (final newline
 * optional), byte for byte; a documented failure line decodes to its code; a decoded request or
 * status answer encodes to what decodes to it; every answer the encoders accept decodes to itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProperty, outcome } from '../../pki/src/test-support/property.js';
import {
  CACERT_API_ERRORS,
  type CacertApiErrorCode,
  type CcsrAnswer,
  type CemailsAnswer,
  decodeCcsrAnswer,
  decodeCcsrRequest,
  decodeCemailsAnswer,
  decodeRequestList,
  decodeRequestStatus,
  encodeCacertApiError,
  encodeCcsrAnswer,
  encodeCcsrRequest,
  encodeCemailsAnswer,
  encodeRequestStatus,
  REQUEST_ID_PATTERN,
  REQUEST_STATUS_ERRORS,
  type RequestStatusAnswer,
} from './cacert-api.js';
import { CaRejectedError } from './errors.js';
import { formBody, isProtocolError, jsonBody, jsonMember, WIRE_UNITS, wireText } from './test-support/wire-fuzz.js';

const ID = 'q3k0c4mN1vYb7s2L9xW8aQ';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const CODES = Object.keys(CACERT_API_ERRORS) as CacertApiErrorCode[];
const status = fc.oneof(fc.constantFrom(200, 202, 400, 401, 403, 429, 500), fc.integer({ min: 100, max: 599 }));

/** One line of text: anything but `\r` and `\n`. */
const line = fc
  .oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }), fc.string({ unit: fc.constantFrom(...WIRE_UNITS), minLength: 1, maxLength: 6 }))
  .filter((s) => !/[\r\n]/.test(s));

/** A refusal must name a code documented for this endpoint, with that code's status. */
function expectDocumented(error: Error, table: Readonly<Record<string, number>>, httpStatus: number, checkStatus = true): void {
  if (!(error instanceof CaRejectedError)) return;
  expect(Object.hasOwn(table, error.caCode)).toBe(true);
  if (checkStatus) expect(table[error.caCode]).toBe(httpStatus);
}

describe('decodeCemailsAnswer', () => {
  const valid = ['200,Authentication Ok\nCS=1\nNAME=Jo Do\nNAME=J. Do\nEMAIL=jo@do.example\n', '401,authentication_failed Authentication failed\n'];

  it('any status and body: an answer that encodes to the body byte for byte, a documented refusal, or a coded error', () => {
    checkProperty(
      fc.property(status, wireText(valid), (httpStatus, body) => {
        const result = outcome(() => decodeCemailsAnswer(httpStatus, body), isProtocolError);
        if (result.ok) expect([body, `${body}\n`]).toContain(encodeCemailsAnswer(result.value));
        else expectDocumented(result.error, CACERT_API_ERRORS, httpStatus);
      }),
      { numRuns: 500 },
    );
  });

  it('every answer and every failure line the encoders write decode to what they were given', () => {
    const answer = fc.record({
      codeSigning: fc.boolean(),
      names: fc.array(line, { minLength: 1, maxLength: 3 }),
      emails: fc.array(line, { minLength: 1, maxLength: 3 }),
    });
    checkProperty(
      fc.property(
        answer,
        fc.constantFrom(...CODES),
        line.filter((s) => s.trim() !== ''),
        (a: CemailsAnswer, code, message) => {
          expect(decodeCemailsAnswer(200, encodeCemailsAnswer(a))).toEqual(a);
          const failure = encodeCacertApiError(code, message);
          expect(outcome(() => decodeCemailsAnswer(failure.status, failure.body), isProtocolError)).toMatchObject({
            ok: false,
            error: { caCode: code, status: failure.status },
          });
        },
      ),
    );
  });
});

describe('decodeCcsrAnswer', () => {
  it('any status and body: an answer that encodes to the body and status received, a documented refusal, or a coded error', () => {
    const valid = [`200,Issued ${ID}\n${CERT}${CERT}`, `202,Pending ${ID}\n`, '403,address_not_confirmed Not yours\n'];
    checkProperty(
      fc.property(status, wireText(valid), (httpStatus, body) => {
        const result = outcome(() => decodeCcsrAnswer(httpStatus, body), isProtocolError);
        if (!result.ok) {
          expectDocumented(result.error, CACERT_API_ERRORS, httpStatus);
          return;
        }
        const encoded = encodeCcsrAnswer(result.value);
        expect(encoded.status).toBe(httpStatus);
        expect([body, `${body}\n`]).toContain(encoded.body);
      }),
      { numRuns: 500 },
    );
  });

  it('every answer the encoder accepts decodes to itself', () => {
    const chain = fc
      .array(fc.stringMatching(/^[A-Za-z0-9+/=]{1,64}$/), { minLength: 1, maxLength: 3 })
      .map((bodies) => bodies.map((b) => `-----BEGIN CERTIFICATE-----\n${b}\n-----END CERTIFICATE-----\n`).join(''));
    const answer = fc.oneof(
      fc.record({ status: fc.constant('pending' as const), requestId: fc.stringMatching(REQUEST_ID_PATTERN) }),
      fc.record({ status: fc.constant('issued' as const), requestId: fc.stringMatching(REQUEST_ID_PATTERN), chainPem: chain }),
    );
    checkProperty(
      fc.property(answer, (a: CcsrAnswer) => {
        const { status: httpStatus, body } = encodeCcsrAnswer(a);
        expect(decodeCcsrAnswer(httpStatus, body)).toEqual(a);
      }),
    );
  });
});

describe('decodeCcsrRequest', () => {
  it('any form: a request that encodes to a form decoding to it, or a refusal result', () => {
    const keys = ['email', 'name', 'codesign', 'optionalCSR', 'username', 'password'];
    checkProperty(
      fc.property(formBody(keys, fc.oneof(fc.constantFrom('jo@do.example', ' Jo Do ', '0', '1', '2', CERT, '', ' '), line)), (body) => {
        const result = decodeCcsrRequest(new URLSearchParams(body));
        if (result.ok) expect(decodeCcsrRequest(encodeCcsrRequest(result.request))).toEqual(result);
        else expect(['invalid_request', 'csr_required']).toContain(result.code);
      }),
      { numRuns: 400 },
    );
  });
});

const statusJson = jsonBody(
  ['status', 'id', 'reason', 'certificate', 'chain', 'error'],
  jsonMember([
    'pending',
    'issued',
    'rejected',
    'discarded',
    ID,
    CERT,
    'not ours',
    '',
    { code: 'not_found', message: 'no' },
    { code: 'toString', message: 'x' },
    { code: '__proto__', message: 'x' },
  ]),
);

describe('decodeRequestStatus', () => {
  it("any status, JSON and Retry-After: an answer that is the encoder's own, a documented refusal, or a coded error", () => {
    checkProperty(
      fc.property(
        fc.constantFrom(200, 401, 404, 500),
        statusJson,
        fc.option(fc.oneof(fc.constantFrom('30', '0', '999999', '-1', '1e3'), fc.string({ maxLength: 7 })), { nil: undefined }),
        (httpStatus, json, retryAfter) => {
          const result = outcome(() => decodeRequestStatus(httpStatus, json, retryAfter), isProtocolError);
          if (!result.ok) {
            expectDocumented(result.error, REQUEST_STATUS_ERRORS, httpStatus, false);
            return;
          }
          const { answer, retryAfterSeconds } = result.value;
          expect(encodeRequestStatus(answer)).toEqual(answer);
          expect(decodeRequestStatus(200, JSON.parse(JSON.stringify(answer)), retryAfter).answer).toEqual(answer);
          if (answer.status === 'pending') expect(Number.isSafeInteger(retryAfterSeconds) && (retryAfterSeconds as number) >= 0).toBe(true);
          else expect(retryAfterSeconds).toBeUndefined();
        },
      ),
      { numRuns: 400 },
    );
  });

  it('every answer the encoder accepts decodes to itself', () => {
    const answer = fc.oneof(
      fc.record({ status: fc.constantFrom('pending' as const, 'discarded' as const), id: fc.stringMatching(REQUEST_ID_PATTERN) }),
      fc.record({ status: fc.constant('rejected' as const), id: fc.stringMatching(REQUEST_ID_PATTERN), reason: line }),
      fc.record({
        status: fc.constant('issued' as const),
        id: fc.stringMatching(REQUEST_ID_PATTERN),
        certificate: fc.constant(CERT),
        chain: fc.constant(CERT),
      }),
    );
    checkProperty(
      fc.property(answer, (a: RequestStatusAnswer) => {
        expect(decodeRequestStatus(200, JSON.parse(JSON.stringify(encodeRequestStatus(a)))).answer).toEqual(a);
      }),
    );
  });
});

describe('decodeRequestList', () => {
  it('any status and JSON: entries that decode again to themselves, a documented refusal, or a coded error', () => {
    const entry = jsonBody(
      ['id', 'status', 'source', 'fingerprint', 'createdAt', 'extra'],
      jsonMember([ID, 'pending', 'issued', 'ccsr', 'registration', 'ab'.repeat(32), 'AB'.repeat(32), '2026-01-01T00:00:00Z', 'yesterday']),
    );
    const json = fc.oneof(
      fc.array(entry, { maxLength: 3 }).map((requests) => ({ requests })),
      jsonBody(['requests', 'error'], jsonMember([[], { code: 'unauthorized', message: 'no' }, { code: 'constructor', message: 'x' }])),
    );
    checkProperty(
      fc.property(fc.constantFrom(200, 401, 404), json, (httpStatus, body) => {
        const result = outcome(() => decodeRequestList(httpStatus, body), isProtocolError);
        if (result.ok) expect(decodeRequestList(200, JSON.parse(JSON.stringify({ requests: result.value })))).toEqual(result.value);
        else expectDocumented(result.error, REQUEST_STATUS_ERRORS, httpStatus, false);
      }),
      { numRuns: 400 },
    );
  });
});
