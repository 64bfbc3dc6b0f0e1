import { describe, expect, it } from 'vitest';
import { readPingMail, type PingMailParts } from './ping-mail.js';

const ORIGIN = 'https://ca.example';
const NONCE = 'N'.repeat(43);
const TOKEN = 'T'.repeat(43);
const LINK = `${ORIGIN}/ping/confirm?token=${TOKEN}`;

/** A well-formed ping's parts, with `patch` applied. */
function parts(patch: Partial<PingMailParts> = {}): PingMailParts {
  return {
    headerLines: [
      { key: 'from', line: 'From: ping@ca.example' },
      { key: 'to', line: 'To: a@mail.example' },
      { key: 'x-certwizard-ping-nonce', line: `X-Certwizard-Ping-Nonce: ${NONCE}` },
    ],
    from: ['ping@ca.example'],
    to: ['a@mail.example'],
    text: `Hello\nPing-Nonce: ${NONCE}\nConfirm: ${LINK}\n`,
    ...patch,
  };
}
const options = { caOrigin: ORIGIN, pingFrom: 'ping@ca.example' };
const withNonceLine = (line: string) => [
  { key: 'from', line: 'From: ping@ca.example' },
  { key: 'x-certwizard-ping-nonce', line },
];

describe('readPingMail', () => {
  it('reads nonce, token and recipients of a well-formed ping', () => {
    expect(readPingMail(parts(), options)).toEqual({ ok: true, ping: { nonce: NONCE, token: TOKEN, to: ['a@mail.example'], bodyHasNonce: true } });
  });

  it.each([
    { name: 'a folded nonce header', input: parts({ headerLines: withNonceLine(`X-Certwizard-Ping-Nonce:\r\n ${NONCE}`) }) },
    { name: 'no body nonce line', input: parts({ text: `Confirm: ${LINK}\n` }) },
    { name: 'the link at the end of a sentence', input: parts({ text: `Please open ${LINK}.` }) },
    { name: 'the link twice', input: parts({ text: `${LINK}\n(${LINK})` }) },
    { name: 'another link on the pinned origin', input: parts({ text: `${LINK}\nHelp: ${ORIGIN}/help` }) },
    { name: 'the From address in another case', input: parts({ from: ['Ping@CA.example'] }) },
  ])('accepts $name', ({ input }) => {
    expect(readPingMail(input, options)).toMatchObject({ ok: true, ping: { nonce: NONCE, token: TOKEN } });
  });

  it.each([
    { name: 'another From address', input: parts({ from: ['ping@evil.example'] }), want: 'wrong-header-sender' },
    { name: 'two From addresses', input: parts({ from: ['ping@ca.example', 'x@evil.example'] }), want: 'wrong-header-sender' },
    {
      name: 'two From headers',
      input: parts({ headerLines: [...parts().headerLines, { key: 'from', line: 'From: ping@ca.example' }] }),
      want: 'wrong-header-sender',
    },
    { name: 'no nonce header', input: parts({ headerLines: [{ key: 'from', line: 'From: ping@ca.example' }] }), want: 'malformed-nonce' },
    { name: 'a 21-character nonce', input: parts({ headerLines: withNonceLine(`X-Certwizard-Ping-Nonce: ${'n'.repeat(21)}`) }), want: 'malformed-nonce' },
    { name: 'a 129-character nonce', input: parts({ headerLines: withNonceLine(`X-Certwizard-Ping-Nonce: ${'n'.repeat(129)}`) }), want: 'malformed-nonce' },
    {
      name: 'a nonce in standard base64',
      input: parts({ headerLines: withNonceLine(`X-Certwizard-Ping-Nonce: ${'n'.repeat(40)}+/=`) }),
      want: 'malformed-nonce',
    },
    { name: 'a body nonce line that differs', input: parts({ text: `Ping-Nonce: ${'M'.repeat(43)}\n${LINK}` }), want: 'body-nonce-mismatch' },
    { name: 'a second body nonce line that differs', input: parts({ text: `Ping-Nonce: ${NONCE}\nping-nonce: x\n${LINK}` }), want: 'body-nonce-mismatch' },
    { name: 'no text body', input: parts({ text: undefined }), want: 'no-text-body' },
    { name: 'an HTML part or attachment besides the text', input: parts({ otherParts: true }), want: 'unexpected-parts' },
    { name: 'no link', input: parts({ text: `Ping-Nonce: ${NONCE}` }), want: 'missing-link' },
    { name: 'the confirmation link on another host', input: parts({ text: `https://evil.example/ping/confirm?token=${TOKEN}` }), want: 'foreign-link' },
    { name: 'a look-alike host', input: parts({ text: `https://ca.example.evil.example/ping/confirm?token=${TOKEN}` }), want: 'foreign-link' },
    { name: 'the right link plus a foreign one', input: parts({ text: `${LINK}\nhttps://evil.example/` }), want: 'foreign-link' },
    { name: 'http instead of https', input: parts({ text: `http://ca.example/ping/confirm?token=${TOKEN}` }), want: 'foreign-link' },
    { name: 'another port', input: parts({ text: `https://ca.example:8443/ping/confirm?token=${TOKEN}` }), want: 'foreign-link' },
    { name: 'user info in the link', input: parts({ text: `https://ca.example@evil.example/ping/confirm?token=${TOKEN}` }), want: 'foreign-link' },
    { name: 'a private address', input: parts({ text: `http://192.168.1.10/ping/confirm?token=${TOKEN}` }), want: 'private-address-link' },
    { name: 'the metadata address', input: parts({ text: `http://169.254.169.254/latest/meta-data/` }), want: 'private-address-link' },
    { name: 'an extra query parameter', input: parts({ text: `${LINK}&redirect=https://evil.example` }), want: 'malformed-link' },
    { name: 'a fragment', input: parts({ text: `${LINK}#x` }), want: 'malformed-link' },
    { name: 'a malformed token', input: parts({ text: `${ORIGIN}/ping/confirm?token=short` }), want: 'malformed-link' },
    { name: 'two different tokens', input: parts({ text: `${LINK}\n${ORIGIN}/ping/confirm?token=${'U'.repeat(43)}` }), want: 'malformed-link' },
  ])('refuses $name: $want', ({ input, want }) => {
    expect(readPingMail(input, options)).toEqual({ ok: false, reason: want });
  });
});
