import { describe, expect, it } from 'vitest';
import { findBareLineEnding, hasHeaderField, headerSection } from './raw-message.js';

describe('findBareLineEnding', () => {
  it.each([
    { name: 'CRLF only', input: 'a\r\nb\r\n\r\nc\r\n', want: -1 },
    { name: 'no line ending at all', input: 'abc', want: -1 },
    { name: 'empty', input: '', want: -1 },
    { name: 'a bare LF', input: 'a\r\nb\nc\r\n', want: 4 },
    { name: 'a bare CR', input: 'a\r\nb\rc\r\n', want: 4 },
    { name: 'LF CR (reversed)', input: 'a\n\rb', want: 1 },
    { name: 'a CR at the very end', input: 'a\r\nb\r', want: 4 },
    { name: 'CR CR LF', input: 'a\r\r\n', want: 1 },
    { name: 'the smuggling sequence <LF>.<LF>', input: 'x\r\n\n.\n', want: 3 },
  ])('$name -> $want', ({ input, want }) => {
    expect(findBareLineEnding(Buffer.from(input, 'latin1'))).toBe(want);
  });
});

describe('headerSection', () => {
  it.each([
    { name: 'headers and body', input: 'A: 1\r\nB: 2\r\n\r\nbody\r\n', want: 'A: 1\r\nB: 2\r\n' },
    { name: 'headers only', input: 'A: 1\r\n', want: 'A: 1\r\n' },
    { name: 'body only (empty first line)', input: '\r\nbody\r\n', want: '' },
  ])('$name', ({ input, want }) => {
    expect(headerSection(Buffer.from(input)).toString()).toBe(want);
  });
});

describe('hasHeaderField', () => {
  const header = (text: string) => Buffer.from(text);
  it.each([
    { name: 'present, other case', input: 'Subject: s\r\nx-certwizard-ping-nonce: abc\r\n', want: true },
    { name: 'present with space before the colon', input: 'X-Certwizard-Ping-Nonce : abc\r\n', want: true },
    { name: 'first line', input: 'X-Certwizard-Ping-Nonce: abc\r\nSubject: s\r\n', want: true },
    { name: 'a longer field name that starts the same', input: 'X-Certwizard-Ping-Nonce-Old: abc\r\n', want: false },
    { name: 'only inside another field value', input: 'Subject: X-Certwizard-Ping-Nonce: abc\r\n', want: false },
    { name: 'only in a folded continuation line', input: 'Subject: s\r\n X-Certwizard-Ping-Nonce: abc\r\n', want: false },
    { name: 'absent', input: 'Subject: s\r\n', want: false },
  ])('$name -> $want', ({ input, want }) => {
    expect(hasHeaderField(header(input), 'X-Certwizard-Ping-Nonce')).toBe(want);
  });
});
