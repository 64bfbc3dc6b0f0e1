import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_INPUT_BYTES } from '../limits.js';
import { codeOf } from '../test-support/expect-code.js';
import { decodePem, decodePemAll, decodePemBlocks, encodePem } from './pem.js';

const der = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const block = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
/** Base64 of `[0x30, 0x03, 0x02, 0x01, 0x05]`: a small, valid body. */
const BODY = 'MAMCAQU=';

describe('encodePem and decodePem', () => {
  it.each([
    { name: 'one byte (two padding characters)', input: der(1) },
    { name: 'two bytes (one padding character)', input: der(2) },
    { name: '48 bytes (exactly one full line)', input: der(48) },
    { name: '49 bytes (a second, short line)', input: der(49) },
    { name: '1000 bytes (many lines)', input: der(1000) },
  ])('round-trips $name', ({ input }) => {
    const pem = encodePem('CERTIFICATE', input);
    expect(decodePem(pem, 'CERTIFICATE')).toEqual(input);
  });

  it('writes RFC 7468 §2 layout: 64-character lines and a final newline', () => {
    const pem = encodePem('CERTIFICATE REQUEST', der(100));
    const lines = pem.split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE REQUEST-----');
    expect(lines.slice(1, -2).map((l) => l.length)).toEqual([64, 64, 8]);
    expect(lines.at(-2)).toBe('-----END CERTIFICATE REQUEST-----');
    expect(lines.at(-1)).toBe('');
  });

  it('encodes only the viewed bytes of a subarray', () => {
    const whole = der(64);
    const view = whole.subarray(10, 20);
    expect(decodePem(encodePem('X', view), 'X')).toEqual(Uint8Array.from(view));
  });

  it('writes PEM that the openssl CLI reads, and reads what openssl writes', () => {
    const spki = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }));
    const ours = encodePem('PUBLIC KEY', spki);
    const theirs = execFileSync('openssl', ['pkey', '-pubin', '-pubout'], { input: ours, encoding: 'utf8' });
    expect(theirs).toBe(ours);
    expect(decodePem(theirs, 'PUBLIC KEY')).toEqual(spki);
  });
});

describe('decodePem leniency (RFC 7468 §2, §3)', () => {
  it.each([
    {
      name: 'explanatory text before and after the block',
      input: `Subject: CN=host.example.test\nIssuer: CN=Example CA\n${block('CERTIFICATE', BODY)}trailing words\n`,
    },
    { name: 'CRLF line endings', input: block('CERTIFICATE', 'MAMC\r\nAQU=').replace(/\n/g, '\r\n') },
    { name: 'spaces and tabs around the base64 lines', input: block('CERTIFICATE', '  MAMC\t\n AQU=  ') },
    { name: 'no newline after the END line', input: block('CERTIFICATE', BODY).trimEnd() },
    { name: 'one of several accepted labels', input: block('NEW CERTIFICATE REQUEST', BODY) },
  ])('accepts $name', ({ input }) => {
    expect(decodePem(input, ['CERTIFICATE', 'NEW CERTIFICATE REQUEST'])).toEqual(Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x05]));
  });
});

describe('decodePem refusals', () => {
  const refused: { name: string; input: string; want: string }[] = [
    { name: 'text without any block', input: 'just some text\n', want: 'ERR_PKI_PEM' },
    { name: 'the empty string', input: '', want: 'ERR_PKI_PEM' },
    {
      name: 'two blocks where one is expected',
      input: block('CERTIFICATE', BODY) + block('CERTIFICATE', BODY),
      want: 'ERR_PKI_PEM',
    },
    { name: 'the wrong label', input: block('PRIVATE KEY', BODY), want: 'ERR_PKI_PEM' },
    {
      name: 'an END label that does not match BEGIN',
      input: `-----BEGIN CERTIFICATE-----\n${BODY}\n-----END CERTIFICATE REQUEST-----\n`,
      want: 'ERR_PKI_PEM',
    },
    { name: 'a missing END line', input: `-----BEGIN CERTIFICATE-----\n${BODY}\n`, want: 'ERR_PKI_PEM' },
    {
      name: 'RFC 1421 encapsulated headers (Proc-Type)',
      input: block('CERTIFICATE', `Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\n${BODY}`),
      want: 'ERR_PKI_PEM',
    },
    { name: 'characters outside the base64 alphabet', input: block('CERTIFICATE', 'MAMC!QU='), want: 'ERR_PKI_PEM' },
    { name: 'base64url characters', input: block('CERTIFICATE', 'MA-_AQU='), want: 'ERR_PKI_PEM' },
    { name: 'missing padding', input: block('CERTIFICATE', 'MAMCAQU'), want: 'ERR_PKI_PEM' },
    { name: 'three padding characters', input: block('CERTIFICATE', 'MAMCAQ==='), want: 'ERR_PKI_PEM' },
    { name: 'padding in the middle', input: block('CERTIFICATE', 'MA==MCAQ'), want: 'ERR_PKI_PEM' },
    {
      name: 'non-canonical base64 (non-zero bits before the padding)',
      input: block('CERTIFICATE', 'MAMCAQV='),
      want: 'ERR_PKI_PEM',
    },
    { name: 'an empty block', input: block('CERTIFICATE', ''), want: 'ERR_PKI_PEM' },
    {
      name: 'one character over the 64 KiB limit',
      input: block('CERTIFICATE', BODY).padEnd(MAX_INPUT_BYTES + 1, ' '),
      want: 'ERR_PKI_INPUT_TOO_LARGE',
    },
  ];
  it.each(refused)('refuses $name with $want', ({ input, want }) => {
    expect(codeOf(() => decodePem(input, 'CERTIFICATE'))).toBe(want);
  });

  it('accepts exactly 64 KiB of text', () => {
    const input = block('CERTIFICATE', BODY).padEnd(MAX_INPUT_BYTES, ' ');
    expect(decodePem(input, 'CERTIFICATE')).toHaveLength(5);
  });

  it('applies a caller-given size limit', () => {
    const input = block('CERTIFICATE', BODY);
    expect(codeOf(() => decodePem(input, 'CERTIFICATE', input.length - 1))).toBe('ERR_PKI_INPUT_TOO_LARGE');
    expect(decodePem(input, 'CERTIFICATE', input.length)).toHaveLength(5);
  });

  it('refuses a non-string with a TypeError (caller misuse)', () => {
    expect(() => decodePem(new Uint8Array(3) as unknown as string, 'CERTIFICATE')).toThrow(TypeError);
  });
});

describe('decodePemAll and decodePemBlocks', () => {
  const chain = [der(10, 1), der(20, 2), der(30, 3)];

  it('returns every block of a chain in order, skipping text between them', () => {
    const text = chain.map((d, i) => `subject=CN=cert ${i}\n${encodePem('CERTIFICATE', d)}`).join('\n');
    expect(decodePemAll(text, 'CERTIFICATE')).toEqual(chain);
  });

  it('returns a single block as a chain of one', () => {
    expect(decodePemAll(encodePem('CERTIFICATE', der(5)), 'CERTIFICATE')).toEqual([der(5)]);
  });

  it.each([
    { name: 'no block at all', input: 'nothing here', want: 'ERR_PKI_PEM' },
    {
      name: 'a block with another label in the chain',
      input: encodePem('CERTIFICATE', der(5)) + encodePem('PRIVATE KEY', der(5)),
      want: 'ERR_PKI_PEM',
    },
    {
      name: 'a malformed second block',
      input: `${encodePem('CERTIFICATE', der(5))}-----BEGIN CERTIFICATE-----\nMAMC\n`,
      want: 'ERR_PKI_PEM',
    },
  ])('refuses $name with $want', ({ input, want }) => {
    expect(codeOf(() => decodePemAll(input, 'CERTIFICATE'))).toBe(want);
  });

  it('lists blocks of any labels with their labels', () => {
    const text = encodePem('CERTIFICATE', der(4)) + encodePem('EC PRIVATE KEY', der(6));
    expect(decodePemBlocks(text)).toEqual([
      { label: 'CERTIFICATE', der: der(4) },
      { label: 'EC PRIVATE KEY', der: der(6) },
    ]);
  });

  it('returns no blocks for text without any', () => {
    expect(decodePemBlocks('hello')).toEqual([]);
  });
});
