import { describe, expect, it } from 'vitest';
import { isPrivateHost, parseCaOrigin } from './ca-origin.js';

describe('parseCaOrigin', () => {
  it.each([
    { input: 'https://ca.example', want: 'https://ca.example' },
    { input: 'https://CA.Example:443/', want: 'https://ca.example' },
    { input: 'https://ca.example:8443', want: 'https://ca.example:8443' },
    { input: 'http://127.0.0.1:8025', want: 'http://127.0.0.1:8025' },
    { input: 'http://localhost:3000/', want: 'http://localhost:3000' },
    { input: 'http://[::1]:3000', want: 'http://[::1]:3000' },
    { input: 'http://ca.example', want: undefined },
    { input: 'http://10.0.0.1', want: undefined },
    { input: 'ftp://ca.example', want: undefined },
    { input: 'https://ca.example/path', want: undefined },
    { input: 'https://ca.example/?', want: undefined },
    { input: 'https://ca.example/#', want: undefined },
    { input: 'https://user@ca.example', want: undefined },
    { input: 'ca.example', want: undefined },
    { input: '', want: undefined },
  ])('$input -> $want', ({ input, want }) => {
    expect(parseCaOrigin(input)).toBe(want);
  });
});

describe('isPrivateHost', () => {
  it.each([
    { host: '127.0.0.1', want: true },
    { host: '127.9.9.9', want: true },
    { host: '10.1.2.3', want: true },
    { host: '172.16.0.1', want: true },
    { host: '172.31.255.255', want: true },
    { host: '172.32.0.1', want: false },
    { host: '192.168.1.1', want: true },
    { host: '169.254.169.254', want: true },
    { host: '100.64.0.1', want: true },
    { host: '0.0.0.0', want: true },
    { host: '8.8.8.8', want: false },
    { host: '[::1]', want: true },
    { host: '[::]', want: true },
    { host: '[fd00::1]', want: true },
    { host: '[fe80::1]', want: true },
    { host: '[::ffff:a00:1]', want: true },
    { host: '[::ffff:808:808]', want: false },
    { host: '[2001:db8::1]', want: false },
    { host: 'localhost', want: true },
    { host: 'app.localhost', want: true },
    { host: 'ca.example', want: false },
  ])('$host -> $want', ({ host, want }) => {
    expect(isPrivateHost(host)).toBe(want);
  });

  it('agrees with how URL spells the hosts', () => {
    expect(isPrivateHost(new URL('http://[::ffff:10.0.0.1]/').hostname)).toBe(true);
    expect(isPrivateHost(new URL('http://0x7f.1/').hostname)).toBe(true);
  });
});
