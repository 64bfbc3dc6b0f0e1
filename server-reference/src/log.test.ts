import { describe, expect, it } from 'vitest';
import { createLogger, redact } from './log.js';

describe('redact', () => {
  it.each([
    { name: 'passphrase field', input: { passphrase: 's3cret' }, want: { passphrase: '[redacted]' } },
    { name: 'nested token', input: { a: { token: 'abc' } }, want: { a: { token: '[redacted]' } } },
    {
      name: 'PIN and challengePassword',
      input: { pin: '1234', challengePassword: 'x' },
      want: { pin: '[redacted]', challengePassword: '[redacted]' },
    },
    {
      name: 'authorization header',
      input: { headers: { authorization: 'Bearer x' } },
      want: { headers: { authorization: '[redacted]' } },
    },
    { name: 'private key in an array', input: [{ privateKey: 'PEM' }], want: [{ privateKey: '[redacted]' }] },
    {
      name: 'hashes stay (they identify, not authenticate)',
      input: { publicKeyHash: 'ab12' },
      want: { publicKeyHash: 'ab12' },
    },
    { name: 'plain fields stay', input: { serial: '01', route: '/x' }, want: { serial: '01', route: '/x' } },
    {
      name: 'PIN as a word of the name, in every spelling',
      input: { pinCode: '1', scepPin: '2', user_pin: '3', PIN: '4', pingNonce: '5' },
      want: { pinCode: '[redacted]', scepPin: '[redacted]', user_pin: '[redacted]', PIN: '[redacted]', pingNonce: '[redacted]' },
    },
    {
      name: 'words that merely contain "pin" stay',
      input: { pingFrom: 'ping@ca.example', mapping: 'a', shipping: 'b', spinner: 'c' },
      want: { pingFrom: 'ping@ca.example', mapping: 'a', shipping: 'b', spinner: 'c' },
    },
  ])('$name', ({ input, want }) => {
    expect(redact(input)).toEqual(want);
  });

  it('reduces errors to name and code, dropping messages that may quote input', () => {
    const err = Object.assign(new Error('bad passphrase hunter2'), { code: 'E_X' });
    expect(redact({ error: err })).toEqual({ error: { name: 'Error', code: 'E_X' } });
  });
});

describe('createLogger', () => {
  it('writes one JSON line per record at or above the level, with secrets redacted', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (s: string) => lines.push(s) }, { level: 'info', now: () => new Date(0) });
    log.debug('hidden');
    log.info('shown', { password: 'hunter2', n: 1 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'info',
      msg: 'shown',
      password: '[redacted]',
      n: 1,
    });
    expect(lines[0]).not.toContain('hunter2');
  });
});
