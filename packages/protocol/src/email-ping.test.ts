import { describe, expect, it } from 'vitest';
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
  isValidPingNonce,
  isValidPingToken,
  PING_CONFIRM_ERRORS,
  pingConfirmationLink,
  readPingConfirmAnswer,
  type PingConfirmReading,
} from './email-ping.js';
import { codeOf } from './test-support/code-of.js';

const MALFORMED = 'ERR_PROTOCOL_MALFORMED_RESPONSE';
const REJECTED = 'ERR_PROTOCOL_CA_REJECTED';
const TOKEN = 'q3k0Vb0o1Lx4mD3yq8W2c7pNnS9a0ZfRtUvXyKjHgEw';
const NONCE = 'n0nce-Of_The-Mail-Server-43-characters-long';

// Nonce and token share one shape on the wire; each has its own check so that either may change.
describe.each([
  { name: 'isValidPingNonce', isValid: isValidPingNonce, sample: NONCE },
  { name: 'isValidPingToken', isValid: isValidPingToken, sample: TOKEN },
])('$name', ({ isValid, sample }) => {
  it.each<{ name: string; input: unknown; want: boolean }>([
    { name: '43 base64url characters', input: sample, want: true },
    { name: 'the shortest, 22 characters', input: 'A'.repeat(22), want: true },
    { name: 'the longest, 128 characters', input: 'A'.repeat(128), want: true },
    { name: 'only - and _', input: '-_'.repeat(11), want: true },
    { name: '21 characters', input: 'A'.repeat(21), want: false },
    { name: '129 characters', input: 'A'.repeat(129), want: false },
    { name: 'base64 padding', input: `${'A'.repeat(42)}=`, want: false },
    { name: 'standard base64 characters', input: `${'A'.repeat(42)}+`, want: false },
    { name: 'a query separator inside', input: `${sample.slice(0, 30)}&x=1`, want: false },
    { name: 'a line break at the end', input: `${sample}\n`, want: false },
    { name: 'not a string', input: 42, want: false },
    { name: 'undefined', input: undefined, want: false },
  ])('$name: $want', ({ input, want }) => {
    expect(isValid(input)).toBe(want);
  });
});

describe('pingConfirmationLink', () => {
  it('spells the link exactly as the mail hook reads it', () => {
    expect(pingConfirmationLink('http://127.0.0.1:8440', TOKEN)).toBe(`http://127.0.0.1:8440/ping/confirm?token=${TOKEN}`);
    expect(pingConfirmationLink('https://ca.example/cacert', TOKEN)).toBe(`https://ca.example/cacert/ping/confirm?token=${TOKEN}`);
  });

  it.each<{ name: string; base: string; token: string }>([
    { name: 'a trailing slash', base: 'https://ca.example/', token: TOKEN },
    { name: 'a query', base: 'https://ca.example?x=1', token: TOKEN },
    { name: 'another scheme', base: 'ftp://ca.example', token: TOKEN },
    { name: 'a malformed token', base: 'https://ca.example', token: 'a&b' },
  ])('throws TypeError for $name', ({ base, token }) => {
    expect(() => pingConfirmationLink(base, token)).toThrow(TypeError);
  });
});

describe('the machine confirmation request', () => {
  it('round-trips', () => {
    const body = encodePingConfirmRequest({ token: TOKEN, nonce: NONCE });
    expect(body).toBe(`token=${TOKEN}&nonce=${NONCE}`);
    expect(decodePingConfirmRequest(body)).toEqual({ ok: true, request: { token: TOKEN, nonce: NONCE } });
  });

  it('ignores other fields', () => {
    expect(decodePingConfirmRequest(`x=1&token=${TOKEN}&nonce=${NONCE}`)).toEqual({ ok: true, request: { token: TOKEN, nonce: NONCE } });
  });

  it.each<{ name: string; body: string }>([
    { name: 'no nonce', body: `token=${TOKEN}` },
    { name: 'no token', body: `nonce=${NONCE}` },
    { name: 'a repeated token', body: `token=${TOKEN}&token=${TOKEN}&nonce=${NONCE}` },
    { name: 'a repeated nonce', body: `token=${TOKEN}&nonce=${NONCE}&nonce=${NONCE}` },
    { name: 'a short nonce', body: `token=${TOKEN}&nonce=abc` },
    { name: 'a token with a slash', body: `token=${TOKEN.slice(1)}%2F&nonce=${NONCE}` },
    { name: 'an empty body', body: '' },
  ])('refuses $name as invalid_request, without echoing a value', ({ body }) => {
    const result = decodePingConfirmRequest(body);
    expect(result).toMatchObject({ ok: false, code: 'invalid_request' });
    expect(JSON.stringify(result)).not.toContain(NONCE);
    expect(JSON.stringify(result)).not.toContain(TOKEN.slice(1, 20));
  });

  it('refuses to encode a malformed nonce', () => {
    expect(() => encodePingConfirmRequest({ token: TOKEN, nonce: 'short' })).toThrow(TypeError);
  });
});

describe('the machine confirmation answer', () => {
  it('round-trips a success', () => {
    const answer = encodePingConfirmAnswer('ada+x@example.org');
    expect(answer).toEqual({ status: 'confirmed', email: 'ada+x@example.org' });
    expect(decodePingConfirmAnswer(200, JSON.parse(JSON.stringify(answer)))).toEqual(answer);
  });

  it.each(Object.entries(PING_CONFIRM_ERRORS))('decodes the documented error %s (%i) as CaRejectedError', (code, status) => {
    const body = encodePingError(code as keyof typeof PING_CONFIRM_ERRORS, 'a message');
    expect(codeOf(() => decodePingConfirmAnswer(status, body))).toBe(REJECTED);
    try {
      decodePingConfirmAnswer(status, body);
    } catch (err) {
      expect(err).toMatchObject({ caCode: code, status });
    }
  });

  it.each<{ name: string; status: number; json: unknown }>([
    { name: 'a success with another status word', status: 200, json: { status: 'ping_sent', email: 'a@b.example' } },
    { name: 'a success with an extra member', status: 200, json: { status: 'confirmed', email: 'a@b.example', token: TOKEN } },
    { name: 'a success without email', status: 200, json: { status: 'confirmed' } },
    { name: 'a success with a line break in the address', status: 200, json: { status: 'confirmed', email: 'a@b.example\nX: y' } },
    { name: 'a success with HTTP 201', status: 201, json: { status: 'confirmed', email: 'a@b.example' } },
    { name: 'an error code under another status', status: 400, json: { error: { code: 'nonce_mismatch', message: 'm' } } },
    { name: 'an undocumented error code', status: 400, json: { error: { code: 'nope', message: 'm' } } },
    { name: 'an array', status: 200, json: [] },
    { name: 'null', status: 200, json: null },
  ])('refuses $name as malformed', ({ status, json }) => {
    expect(codeOf(() => decodePingConfirmAnswer(status, json))).toBe(MALFORMED);
  });
});

describe('readPingConfirmAnswer', () => {
  it.each<{ name: string; status: number; json: unknown; want: PingConfirmReading }>([
    { name: 'the success answer', status: 200, json: { status: 'confirmed', email: 'a@b.example' }, want: { kind: 'confirmed', email: 'a@b.example' } },
    // The CA has used the ping: members added later must not make the machine give its nonce back.
    {
      name: 'a success with an extra member',
      status: 200,
      json: { status: 'confirmed', email: 'a@b.example', since: 1 },
      want: { kind: 'confirmed', email: 'a@b.example' },
    },
    {
      name: 'a success naming an odd address, passed on as sent',
      status: 200,
      json: { status: 'confirmed', email: 'Not An Address' },
      want: { kind: 'confirmed', email: 'Not An Address' },
    },
    { name: 'a success with another status word', status: 200, json: { status: 'ping_sent', email: 'a@b.example' }, want: { kind: 'malformed', status: 200 } },
    { name: 'a success without email', status: 200, json: { status: 'confirmed' }, want: { kind: 'malformed', status: 200 } },
    { name: 'a success whose email is not text', status: 200, json: { status: 'confirmed', email: ['a@b.example'] }, want: { kind: 'malformed', status: 200 } },
    { name: 'a 200 that was not JSON', status: 200, json: undefined, want: { kind: 'malformed', status: 200 } },
    { name: 'a 200 with an array', status: 200, json: [{ status: 'confirmed', email: 'a@b.example' }], want: { kind: 'malformed', status: 200 } },
    { name: 'a 200 with null', status: 200, json: null, want: { kind: 'malformed', status: 200 } },
    { name: 'a 200 with an error body', status: 200, json: { error: { code: 'nonce_mismatch', message: 'm' } }, want: { kind: 'malformed', status: 200 } },
    {
      name: 'a documented refusal',
      status: 409,
      json: { error: { code: 'nonce_mismatch', message: 'm' } },
      want: { kind: 'refused', status: 409, caCode: 'nonce_mismatch' },
    },
    {
      name: 'a refusal without a message',
      status: 410,
      json: { error: { code: 'expired_token' } },
      want: { kind: 'refused', status: 410, caCode: 'expired_token' },
    },
    {
      name: 'an undocumented code, passed on',
      status: 429,
      json: { error: { code: 'stand_in', message: 'm' } },
      want: { kind: 'refused', status: 429, caCode: 'stand_in' },
    },
    {
      name: 'a code under another status than documented, passed on',
      status: 400,
      json: { error: { code: 'nonce_mismatch', message: 'm' } },
      want: { kind: 'refused', status: 400, caCode: 'nonce_mismatch' },
    },
    {
      name: 'a success body under another 2xx',
      status: 201,
      json: { status: 'confirmed', email: 'a@b.example' },
      want: { kind: 'refused', status: 201, caCode: undefined },
    },
    { name: 'a redirect', status: 302, json: undefined, want: { kind: 'refused', status: 302, caCode: undefined } },
    {
      name: 'a code that is not a plain word (it would reach a log)',
      status: 400,
      json: { error: { code: 'bad\nX: y', message: 'm' } },
      want: { kind: 'refused', status: 400, caCode: undefined },
    },
    { name: 'a code in capitals', status: 400, json: { error: { code: 'INVALID', message: 'm' } }, want: { kind: 'refused', status: 400, caCode: undefined } },
    {
      name: 'a code of 65 characters',
      status: 400,
      json: { error: { code: 'x'.repeat(65), message: 'm' } },
      want: { kind: 'refused', status: 400, caCode: undefined },
    },
    { name: 'a code that is not text', status: 404, json: { error: { code: 404, message: 'm' } }, want: { kind: 'refused', status: 404, caCode: undefined } },
    { name: 'an error that is an array', status: 404, json: { error: ['unknown_token'] }, want: { kind: 'refused', status: 404, caCode: undefined } },
    { name: 'an error status without JSON', status: 500, json: undefined, want: { kind: 'refused', status: 500, caCode: undefined } },
  ])('$name', ({ status, json, want }) => {
    expect(readPingConfirmAnswer(status, json)).toEqual(want);
  });

  it('reads every documented refusal with its code and status', () => {
    for (const [code, status] of Object.entries(PING_CONFIRM_ERRORS)) {
      expect(readPingConfirmAnswer(status, encodePingError(code as keyof typeof PING_CONFIRM_ERRORS, 'a message'))).toEqual({
        kind: 'refused',
        status,
        caCode: code,
      });
    }
  });
});

describe('the request for an address ping', () => {
  it.each<{ name: string; request: { email: string; pingNonce?: string }; body: string }>([
    { name: 'with a nonce', request: { email: 'a+b@example.net', pingNonce: NONCE }, body: `email=a%2Bb%40example.net&PingNonce=${NONCE}` },
    { name: 'without a nonce', request: { email: 'a@example.net' }, body: 'email=a%40example.net' },
  ])('round-trips $name', ({ request, body }) => {
    expect(encodeAddressPingRequest(request)).toBe(body);
    expect(decodeAddressPingRequest(new URLSearchParams(body))).toEqual({ ok: true, request });
  });

  it('trims the address and takes an empty nonce as none', () => {
    expect(decodeAddressPingRequest(new URLSearchParams('email=+a%40example.net+&PingNonce='))).toEqual({ ok: true, request: { email: 'a@example.net' } });
  });

  it.each<{ name: string; query: string }>([
    { name: 'no email', query: `PingNonce=${NONCE}` },
    { name: 'two emails', query: 'email=a%40b.example&email=c%40d.example' },
    { name: 'an empty email', query: 'email=' },
    { name: 'an email with a space inside', query: 'email=a+b%40c.example' },
    { name: 'an email over 254 characters', query: `email=${'a'.repeat(250)}%40b.example` },
    { name: 'two nonces', query: `email=a%40b.example&PingNonce=${NONCE}&PingNonce=${NONCE}` },
    { name: 'a short nonce', query: 'email=a%40b.example&PingNonce=abc' },
    { name: 'a nonce with padding', query: `email=a%40b.example&PingNonce=${'A'.repeat(42)}%3D` },
  ])('refuses $name as invalid_request', ({ query }) => {
    const result = decodeAddressPingRequest(new URLSearchParams(query));
    expect(result).toMatchObject({ ok: false, code: 'invalid_request' });
    expect(JSON.stringify(result)).not.toContain(NONCE);
  });

  it('refuses to encode a malformed nonce or address', () => {
    expect(() => encodeAddressPingRequest({ email: 'a@b.example', pingNonce: 'abc' })).toThrow(TypeError);
    expect(() => encodeAddressPingRequest({ email: 'no address' })).toThrow(TypeError);
  });
});

describe('the answer to an address ping request', () => {
  it('round-trips a success (202)', () => {
    const answer = encodeAddressPingAnswer('a@example.net');
    expect(decodeAddressPingAnswer(202, answer)).toEqual({ status: 'ping_sent', email: 'a@example.net' });
  });

  it.each(Object.entries(ADDRESS_PING_ERRORS))('decodes the documented error %s (%i) as CaRejectedError', (code, status) => {
    expect(codeOf(() => decodeAddressPingAnswer(status, encodePingError(code as keyof typeof ADDRESS_PING_ERRORS, 'm')))).toBe(REJECTED);
  });

  it.each<{ name: string; status: number; json: unknown }>([
    { name: 'a success with 200', status: 200, json: { status: 'ping_sent', email: 'a@b.example' } },
    { name: 'a success with the confirmation word', status: 202, json: { status: 'confirmed', email: 'a@b.example' } },
    { name: 'a ping error code here', status: 404, json: { error: { code: 'unknown_token', message: 'm' } } },
  ])('refuses $name as malformed', ({ status, json }) => {
    expect(codeOf(() => decodeAddressPingAnswer(status, json))).toBe(MALFORMED);
  });
});
