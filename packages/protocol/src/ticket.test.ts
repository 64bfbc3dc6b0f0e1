import { describe, expect, it } from 'vitest';
import { MalformedResponseError } from './errors.js';
import { TICKET_PATTERN } from './registration.js';
import {
  decodeNewTicketAnswer,
  decodeNewTicketJson,
  decodeNewTicketText,
  decodeTicketAnswerJson,
  decodeTicketAnswerText,
  encodeNewTicketJson,
  encodeNewTicketText,
  encodeTicketAnswerJson,
  encodeTicketAnswerText,
  newTicket,
  TICKET_LIFETIME_MS_DEFAULT,
  ticketState,
  type TicketAnswer,
  type TicketRecord,
} from './ticket.js';
import { codeOf } from './test-support/code-of.js';

const MALFORMED = 'ERR_PROTOCOL_MALFORMED_RESPONSE';
const CODE = 'c29tZS1vbmUtdGltZS1jb2RlLXRoYXQtaXMtbG9uZw';

describe('newTicket', () => {
  it('draws 32 bytes and encodes them as 43 base64url characters', () => {
    const sizes: number[] = [];
    const ticket = newTicket((size) => {
      sizes.push(size);
      return new Uint8Array(size).fill(0xff);
    });
    expect(sizes).toEqual([32]);
    expect(ticket).toBe(`${'_'.repeat(42)}8`);
    expect(ticket).toMatch(TICKET_PATTERN);
  });

  it('makes different tickets from the default random source', () => {
    const a = newTicket();
    expect(a).toHaveLength(43);
    expect(a).toMatch(TICKET_PATTERN);
    expect(newTicket()).not.toBe(a);
  });

  it('refuses a random source that returns too few bytes', () => {
    expect(() => newTicket(() => new Uint8Array(16))).toThrow(TypeError);
  });
});

describe('ticketState with an injected clock', () => {
  const T0 = 1_700_000_000_000;
  const EXP = T0 + TICKET_LIFETIME_MS_DEFAULT;
  const open: TicketRecord = { createdAtMs: T0, expiresAtMs: EXP };
  const done: TicketRecord = { ...open, completedAtMs: T0 + 60_000, emailAddress: 'a+b@example.org', code: CODE };
  const failed: TicketRecord = { ...open, completedAtMs: T0 + 60_000, errorReason: 'address_taken' };

  it.each<{ name: string; input: { record: TicketRecord | undefined; nowMs: number }; want: TicketAnswer }>([
    { name: 'no record is unknown', input: { record: undefined, nowMs: T0 }, want: { status: 'unknown' } },
    { name: 'just created is pending', input: { record: open, nowMs: T0 }, want: { status: 'pending' } },
    { name: 'one ms before expiry is pending', input: { record: open, nowMs: EXP - 1 }, want: { status: 'pending' } },
    { name: 'at expiry is expired (expiresAtMs is inclusive)', input: { record: open, nowMs: EXP }, want: { status: 'expired' } },
    { name: 'after expiry is expired', input: { record: open, nowMs: EXP + 3_600_000 }, want: { status: 'expired' } },
    {
      name: 'done, read right after completion',
      input: { record: done, nowMs: T0 + 60_000 },
      want: { status: 'done', emailAddress: 'a+b@example.org', code: CODE },
    },
    {
      name: 'done without PKCE has no code',
      input: { record: { ...open, completedAtMs: T0 + 1, emailAddress: 'x@y.example' }, nowMs: T0 + 2 },
      want: { status: 'done', emailAddress: 'x@y.example' },
    },
    { name: 'done, read one ms before expiry', input: { record: done, nowMs: EXP - 1 }, want: { status: 'done', emailAddress: 'a+b@example.org', code: CODE } },
    { name: 'done before expiry but read after it is expired', input: { record: done, nowMs: EXP }, want: { status: 'expired' } },
    { name: 'a completion after now has not happened yet', input: { record: done, nowMs: T0 + 59_999 }, want: { status: 'pending' } },
    { name: 'error before expiry', input: { record: failed, nowMs: T0 + 120_000 }, want: { status: 'error', reason: 'address_taken' } },
    { name: 'error read after expiry is expired', input: { record: failed, nowMs: EXP + 1 }, want: { status: 'expired' } },
    {
      name: 'cancelled',
      input: { record: { ...open, completedAtMs: T0, errorReason: 'cancelled' }, nowMs: T0 },
      want: { status: 'error', reason: 'cancelled' },
    },
  ])('$name', ({ input, want }) => {
    expect(ticketState(input.record, input.nowMs)).toEqual(want);
  });

  it.each<{ name: string; input: TicketRecord }>([
    { name: 'expiry before creation', input: { createdAtMs: T0, expiresAtMs: T0 } },
    { name: 'a NaN time', input: { createdAtMs: Number.NaN, expiresAtMs: EXP } },
    { name: 'a result without completion time', input: { ...open, emailAddress: 'a@b.example' } },
    { name: 'a completion with no result', input: { ...open, completedAtMs: T0 } },
    { name: 'a completion with both results', input: { ...open, completedAtMs: T0, emailAddress: 'a@b.example', errorReason: 'cancelled' } },
    { name: 'an undocumented reason', input: { ...open, completedAtMs: T0, errorReason: 'oops' as never } },
    { name: 'a code on an error', input: { ...failed, code: CODE } },
    { name: 'a malformed code', input: { ...done, code: 'short' } },
  ])('throws TypeError for a record with $name', ({ input }) => {
    expect(() => ticketState(input, T0)).toThrow(TypeError);
  });
});

const ANSWERS: Array<{ name: string; answer: TicketAnswer; text: string; json: unknown }> = [
  { name: 'pending', answer: { status: 'pending' }, text: 'pending\n', json: { status: 'pending' } },
  { name: 'expired', answer: { status: 'expired' }, text: 'expired\n', json: { status: 'expired' } },
  { name: 'unknown', answer: { status: 'unknown' }, text: 'unknown\n', json: { status: 'unknown' } },
  {
    name: 'error',
    answer: { status: 'error', reason: 'ticket_expired' },
    text: 'error\nreason=ticket_expired\n',
    json: { status: 'error', reason: 'ticket_expired' },
  },
  {
    name: 'done with a code',
    answer: { status: 'done', emailAddress: 'a+b@example.org', code: CODE },
    text: `done\nEmailAddress=a%2Bb%40example.org\ncode=${CODE}\n`,
    json: { status: 'done', EmailAddress: 'a+b@example.org', code: CODE },
  },
  {
    name: 'done with an address holding = and a newline (cannot forge a line)',
    answer: { status: 'done', emailAddress: 'x=1\ncode=forged@example.org' },
    text: 'done\nEmailAddress=x%3D1%0Acode%3Dforged%40example.org\n',
    json: { status: 'done', EmailAddress: 'x=1\ncode=forged@example.org' },
  },
  {
    name: 'done with a Unicode address',
    answer: { status: 'done', emailAddress: 'zoë@bücher.example' },
    text: 'done\nEmailAddress=zo%C3%AB%40b%C3%BCcher.example\n',
    json: { status: 'done', EmailAddress: 'zoë@bücher.example' },
  },
];

describe('isitdone answer codecs', () => {
  it.each(ANSWERS)('text: $name encodes to the documented lines and back', ({ answer, text }) => {
    expect(encodeTicketAnswerText(answer)).toBe(text);
    expect(decodeTicketAnswerText(text)).toEqual(answer);
  });

  it.each(ANSWERS)('json: $name encodes with the wire names and back (through JSON text)', ({ answer, json }) => {
    expect(encodeTicketAnswerJson(answer)).toEqual(json);
    expect(decodeTicketAnswerJson(JSON.parse(JSON.stringify(encodeTicketAnswerJson(answer))))).toEqual(answer);
  });

  it.each([
    { name: 'no final newline', input: 'done\nEmailAddress=a%40b.example', want: { status: 'done', emailAddress: 'a@b.example' } },
    { name: 'lower-case hex escapes', input: 'done\nEmailAddress=a%2bb%40b.example\n', want: { status: 'done', emailAddress: 'a+b@b.example' } },
  ])('text: accepts $name', ({ input, want }) => {
    expect(decodeTicketAnswerText(input)).toEqual(want);
  });

  it.each([
    { name: 'an empty body', input: '' },
    { name: 'an unknown status', input: 'finished\n' },
    { name: 'an upper-case status', input: 'DONE\nEmailAddress=a%40b.example\n' },
    { name: 'CRLF line ends', input: 'done\r\nEmailAddress=a%40b.example\r\n' },
    { name: 'done without an address', input: 'done\n' },
    { name: 'done with an empty address', input: 'done\nEmailAddress=\n' },
    { name: 'a raw @ in a value', input: 'done\nEmailAddress=a@b.example\n' },
    { name: 'a raw space in a value', input: 'done\nEmailAddress=a b%40x.example\n' },
    { name: 'a broken escape', input: 'done\nEmailAddress=a%4\n' },
    { name: 'an escape that is not UTF-8', input: 'done\nEmailAddress=%C3%28%40x.example\n' },
    { name: 'a repeated address', input: 'done\nEmailAddress=a%40x.example\nEmailAddress=b%40x.example\n' },
    { name: 'code before the address', input: `done\ncode=${CODE}\nEmailAddress=a%40x.example\n` },
    { name: 'a malformed code', input: 'done\nEmailAddress=a%40x.example\ncode=abc\n' },
    { name: 'an unknown key', input: 'done\nEmailAddress=a%40x.example\nuser=1\n' },
    { name: 'a reason on done', input: 'done\nEmailAddress=a%40x.example\nreason=cancelled\n' },
    { name: 'error without a reason', input: 'error\n' },
    { name: 'an undocumented reason', input: 'error\nreason=oops\n' },
    { name: 'an address on pending', input: 'pending\nEmailAddress=a%40x.example\n' },
    { name: 'an empty line', input: 'pending\n\n' },
    { name: 'a line without =', input: 'error\nreason\n' },
    { name: 'an empty key', input: 'error\n=cancelled\n' },
  ])('text: refuses $name with ERR_PROTOCOL_MALFORMED_RESPONSE', ({ input }) => {
    expect(codeOf(() => decodeTicketAnswerText(input))).toBe(MALFORMED);
  });

  it('text: keeps the HTTP status on the error', () => {
    try {
      decodeTicketAnswerText('<html>', 502);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MalformedResponseError);
      expect((err as MalformedResponseError).status).toBe(502);
    }
  });

  it.each([
    { name: 'null', input: null },
    { name: 'an array', input: [{ status: 'pending' }] },
    { name: 'a string', input: 'pending' },
    { name: 'an unknown status', input: { status: 'finished' } },
    { name: 'done with a lower-case field name', input: { status: 'done', emailAddress: 'a@b.example' } },
    { name: 'done with a non-string address', input: { status: 'done', EmailAddress: 42 } },
    { name: 'done with an empty address', input: { status: 'done', EmailAddress: '' } },
    { name: 'done with a malformed code', input: { status: 'done', EmailAddress: 'a@b.example', code: 'x' } },
    { name: 'done with an extra member', input: { status: 'done', EmailAddress: 'a@b.example', admin: true } },
    { name: 'error with an undocumented reason', input: { status: 'error', reason: 'oops' } },
    { name: 'pending with a reason', input: { status: 'pending', reason: 'cancelled' } },
  ])('json: refuses $name with ERR_PROTOCOL_MALFORMED_RESPONSE', ({ input }) => {
    expect(codeOf(() => decodeTicketAnswerJson(input))).toBe(MALFORMED);
  });

  it.each<{ name: string; input: unknown }>([
    { name: 'done with an empty address', input: { status: 'done', emailAddress: '' } },
    { name: 'error with an undocumented reason', input: { status: 'error', reason: 'oops' } },
    { name: 'an unknown status', input: { status: 'finished' } },
  ])('encoders throw TypeError for $name', ({ input }) => {
    expect(() => encodeTicketAnswerText(input as TicketAnswer)).toThrow(TypeError);
    expect(() => encodeTicketAnswerJson(input as TicketAnswer)).toThrow(TypeError);
  });
});

describe('givemeaticket answer codecs', () => {
  const ticket = newTicket(() => new Uint8Array(32).fill(7));

  it('round-trips as text and as JSON', () => {
    expect(encodeNewTicketText(ticket)).toBe(`${ticket}\n`);
    expect(decodeNewTicketText(encodeNewTicketText(ticket))).toBe(ticket);
    expect(encodeNewTicketJson(ticket)).toEqual({ ticket });
    expect(decodeNewTicketJson(JSON.parse(JSON.stringify(encodeNewTicketJson(ticket))))).toBe(ticket);
  });

  it('carries the user code in JSON, and reads an answer of an older CA without one', () => {
    const json = encodeNewTicketJson(ticket, 'WDJB-MJHT');
    expect(json).toEqual({ ticket, user_code: 'WDJB-MJHT' });
    expect(decodeNewTicketAnswer(JSON.parse(JSON.stringify(json)))).toEqual({ ticket, userCode: 'WDJB-MJHT' });
    expect(decodeNewTicketAnswer({ ticket })).toEqual({ ticket });
    expect(decodeNewTicketJson(json)).toBe(ticket);
  });

  it.each([
    { name: 'text: an HTML page', input: () => decodeNewTicketText('<html></html>') },
    { name: 'text: two lines', input: () => decodeNewTicketText(`${ticket}\n${ticket}\n`) },
    { name: 'text: a short ticket', input: () => decodeNewTicketText('abc\n') },
    { name: 'json: no ticket member', input: () => decodeNewTicketJson({ id: ticket }) },
    { name: 'json: null', input: () => decodeNewTicketJson(null) },
    { name: 'json: a user code in lower case', input: () => decodeNewTicketAnswer({ ticket, user_code: 'wdjb-mjht' }) },
    { name: 'json: a user code with a vowel', input: () => decodeNewTicketAnswer({ ticket, user_code: 'WDJA-MJHT' }) },
    { name: 'json: a user code that is a number', input: () => decodeNewTicketAnswer({ ticket, user_code: 12345678 }) },
  ])('refuses $name with ERR_PROTOCOL_MALFORMED_RESPONSE', ({ input }) => {
    expect(codeOf(input)).toBe(MALFORMED);
  });

  it('encoders throw TypeError for a malformed ticket', () => {
    expect(() => encodeNewTicketText('bad ticket')).toThrow(TypeError);
    expect(() => encodeNewTicketJson('')).toThrow(TypeError);
    expect(() => encodeNewTicketJson(ticket, 'WDJBMJHT')).toThrow(TypeError);
  });
});
