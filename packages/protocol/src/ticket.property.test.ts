/**
 * Properties of the ticket codecs (`givemeaticket` and `isitdone`, text and JSON) over any input:
 * a value, or ERR_PROTOCOL_MALFORMED_RESPONSE carrying the HTTP status, never another exception,
 * never a hang. The round trips: a decoded answer encodes to text (JSON) that decodes to the same
 * answer; the encoder's text is the one canonical spelling (decoding it and encoding again gives
 * it back byte for byte); a JSON answer is exactly the encoder's object; a decoded ticket encodes
 * to the text received, less at most the final newline.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProperty, outcome } from '../../pki/src/test-support/property.js';
import { MalformedResponseError } from './errors.js';
import { REGISTRATION_ERROR_REASONS, TICKET_PATTERN, type RegistrationErrorReason } from './registration.js';
import {
  decodeNewTicketJson,
  decodeNewTicketText,
  decodeTicketAnswerJson,
  decodeTicketAnswerText,
  encodeNewTicketJson,
  encodeNewTicketText,
  encodeTicketAnswerJson,
  encodeTicketAnswerText,
  type TicketAnswer,
} from './ticket.js';
import { WIZARD_CODE_PATTERN } from './wizard-token.js';
import { isProtocolError, jsonBody, jsonMember, wireText } from './test-support/wire-fuzz.js';

const TICKET = 'q3k0c4mN1vYb7s2L9xW8aQq3k0c4mN1vYb7s2L9xW8a';
const CODE = 'Yk3nYk3nYk3nYk3nYk3nYk3nYk3nYk3nYk3nYk3nYk3';
const REASONS = Object.keys(REGISTRATION_ERROR_REASONS) as RegistrationErrorReason[];
const HTTP_STATUS = 299;

/** Every answer the type allows; `address` makes the done answer's address. */
function answers(address: fc.Arbitrary<string>): fc.Arbitrary<TicketAnswer> {
  return fc.oneof(
    fc.constantFrom<TicketAnswer>({ status: 'pending' }, { status: 'expired' }, { status: 'unknown' }),
    fc.record({ status: fc.constant('done' as const), emailAddress: address }),
    fc.record({ status: fc.constant('done' as const), emailAddress: address, code: fc.stringMatching(WIZARD_CODE_PATTERN) }),
    fc.record({ status: fc.constant('error' as const), reason: fc.constantFrom(...REASONS) }),
  );
}

/** Well-formed text: any code point but the lone surrogates, which no UTF-8 body can carry. */
const address = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 });

/** Checks the decoder's outcome: a value, or the typed error with the status given. */
function decoded<T>(decode: () => T): T | undefined {
  const result = outcome(decode, isProtocolError);
  if (result.ok) return result.value;
  expect(result.error).toBeInstanceOf(MalformedResponseError);
  expect((result.error as MalformedResponseError).status).toBe(HTTP_STATUS);
  return undefined;
}

describe('decodeTicketAnswerText', () => {
  it('any text: an answer whose encoding decodes to the same answer, or a coded error', () => {
    const valid = ['pending\n', 'done\nEmailAddress=a%2Bb%40example.org\ncode=' + CODE + '\n', 'error\nreason=cancelled\n', 'done\nEmailAddress=%C3%A9\n'];
    checkProperty(
      fc.property(wireText(valid), (text) => {
        const answer = decoded(() => decodeTicketAnswerText(text, HTTP_STATUS));
        if (answer !== undefined) expect(decodeTicketAnswerText(encodeTicketAnswerText(answer))).toEqual(answer);
      }),
      { numRuns: 500 },
    );
  });

  it('every answer encodes to the canonical text, which decodes to it and encodes back byte for byte', () => {
    checkProperty(
      fc.property(answers(address), (answer) => {
        const text = encodeTicketAnswerText(answer);
        expect(decodeTicketAnswerText(text)).toEqual(answer);
        expect(encodeTicketAnswerText(decodeTicketAnswerText(text))).toBe(text);
      }),
    );
  });

  it('an address with a lone surrogate is refused with TypeError (regression: found by this property)', () => {
    checkProperty(
      fc.property(fc.constantFrom('\ud800', 'a\udc00@b.example'), (emailAddress) => {
        expect(() => encodeTicketAnswerText({ status: 'done', emailAddress })).toThrow(TypeError);
      }),
      { numRuns: 2 },
    );
  });
});

describe('decodeTicketAnswerJson', () => {
  it('any JSON: an answer whose encoder object is exactly the input, or a coded error', () => {
    const json = fc.oneof(
      jsonBody(['status', 'EmailAddress', 'code', 'reason'], jsonMember(['done', 'error', 'pending', 'a@b.example', CODE, 'cancelled', 'nope', ''])),
      fc.anything(),
    );
    checkProperty(
      fc.property(json, (value) => {
        const answer = decoded(() => decodeTicketAnswerJson(value, HTTP_STATUS));
        if (answer !== undefined) expect(encodeTicketAnswerJson(answer)).toEqual(value);
      }),
      { numRuns: 500 },
    );
  });

  it('every answer encodes to JSON that decodes to it', () => {
    checkProperty(
      fc.property(answers(address), (answer) => {
        expect(decodeTicketAnswerJson(JSON.parse(JSON.stringify(encodeTicketAnswerJson(answer))))).toEqual(answer);
      }),
    );
  });
});

describe('decodeNewTicketText / decodeNewTicketJson', () => {
  it('any text: a ticket that encodes to the text received (final newline optional), or a coded error', () => {
    checkProperty(
      fc.property(wireText([`${TICKET}\n`, TICKET]), (text) => {
        const ticket = decoded(() => decodeNewTicketText(text, HTTP_STATUS));
        if (ticket !== undefined) expect([text, `${text}\n`]).toContain(encodeNewTicketText(ticket));
      }),
    );
  });

  it('any JSON: a ticket that encodes to JSON decoding to it, or a coded error', () => {
    checkProperty(
      fc.property(fc.oneof(jsonBody(['ticket'], jsonMember([TICKET, 'short'])), fc.anything()), (value) => {
        const ticket = decoded(() => decodeNewTicketJson(value, HTTP_STATUS));
        if (ticket !== undefined) expect(decodeNewTicketJson(JSON.parse(JSON.stringify(encodeNewTicketJson(ticket))))).toBe(ticket);
      }),
    );
  });

  it('every ticket encodes to text and JSON that decode to it', () => {
    checkProperty(
      fc.property(fc.stringMatching(TICKET_PATTERN), (ticket) => {
        expect(decodeNewTicketText(encodeNewTicketText(ticket))).toBe(ticket);
        expect(decodeNewTicketJson(encodeNewTicketJson(ticket))).toBe(ticket);
      }),
    );
  });
});
