import { describe, expect, it } from 'vitest';
import { parseArgv } from './argv.js';
import { buildServeConfig, defaultPingFrom, parseListen } from './config.js';

describe('parseListen', () => {
  it.each([
    { input: '127.0.0.1:0', want: { host: '127.0.0.1', port: 0 } },
    { input: '[::1]:8440', want: { host: '::1', port: 8440 } },
    { input: 'localhost:65535', want: { host: 'localhost', port: 65535 } },
  ])('$input', ({ input, want }) => {
    expect(parseListen(input)).toEqual(want);
  });
  it.each(['127.0.0.1', ':80', '127.0.0.1:65536', '::1:80', '127.0.0.1:port'])('refuses %s', (input) => {
    expect(() => parseListen(input)).toThrow(expect.objectContaining({ code: 'ERR_CA_CONFIG' }));
  });
});

describe('buildServeConfig', () => {
  it('is frozen and filled with defaults', () => {
    const c = buildServeConfig({ identity: 'id', data: 'data' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(c).toMatchObject({
      listenHost: '127.0.0.1',
      listenPort: 8440,
      validityMs: 90 * 86_400_000,
      maxBodyBytes: 1048576,
      logLevel: 'info',
    });
  });
  it.each([
    { name: 'missing identity', input: { data: 'd' } },
    { name: 'missing data', input: { identity: 'i' } },
    { name: 'public URL with a query', input: { identity: 'i', data: 'd', publicUrl: 'http://x/?a=1' } },
    { name: 'public URL not http', input: { identity: 'i', data: 'd', publicUrl: 'ftp://x/' } },
    { name: 'validity 0', input: { identity: 'i', data: 'd', validityDays: '0' } },
    { name: 'validity 0m', input: { identity: 'i', data: 'd', validity: '0m' } },
    { name: 'validity in seconds', input: { identity: 'i', data: 'd', validity: '30s' } },
    { name: 'validity without a unit', input: { identity: 'i', data: 'd', validity: '90' } },
    { name: 'validity of two units', input: { identity: 'i', data: 'd', validity: '1d12h' } },
    { name: 'validity past 3650 days', input: { identity: 'i', data: 'd', validity: '3651d' } },
    { name: 'validity and validity-days', input: { identity: 'i', data: 'd', validity: '10m', validityDays: '1' } },
    { name: 'bad log level', input: { identity: 'i', data: 'd', logLevel: 'loud' } },
  ])('refuses $name', ({ input }) => {
    expect(() => buildServeConfig(input)).toThrow(expect.objectContaining({ code: 'ERR_CA_CONFIG' }));
  });
});

describe('--validity DURATION', () => {
  it.each([
    { validity: '90d', ms: 90 * 86_400_000 },
    { validity: '12h', ms: 12 * 3_600_000 },
    { validity: '10m', ms: 600_000 },
    { validity: '3650d', ms: 3650 * 86_400_000 },
  ])('reads $validity', ({ validity, ms }) => {
    expect(buildServeConfig({ identity: 'i', data: 'd', validity }).validityMs).toBe(ms);
  });
  it('leaves --validity-days as it was', () => {
    expect(buildServeConfig({ identity: 'i', data: 'd', validityDays: '7' }).validityMs).toBe(7 * 86_400_000);
  });
});

describe('the email ping options', () => {
  const base = { identity: 'i', data: 'd' };
  it('takes a plain ping address and the DKIM options, the key only as a path', () => {
    const c = buildServeConfig({ ...base, pingFrom: 'Ping@CA.Example', dkimSelector: 'ping2026', dkimKey: 'keys/dkim.pem', dkimDomain: 'Mail.CA.Example' });
    expect(c.pingFrom).toBe('Ping@ca.example');
    expect(c.dkim).toEqual({ domain: 'mail.ca.example', selector: 'ping2026', keyFile: expect.stringMatching(/\/keys\/dkim\.pem$/) });
    expect(Object.isFrozen(c.dkim)).toBe(true);
    expect(buildServeConfig(base)).not.toHaveProperty('pingFrom');
    expect(buildServeConfig(base)).not.toHaveProperty('dkim');
  });
  it.each([
    { name: 'a ping address with a display name', input: { pingFrom: 'CA <ping@ca.example>' } },
    { name: 'a ping address without a domain', input: { pingFrom: 'ping' } },
    { name: 'a selector without a key', input: { dkimSelector: 's1' } },
    { name: 'a key without a selector', input: { dkimKey: 'k.pem' } },
    { name: 'a domain alone', input: { dkimDomain: 'ca.example' } },
    { name: 'a selector with an underscore', input: { dkimSelector: 's_1', dkimKey: 'k.pem' } },
    { name: 'a domain that is an IP address', input: { dkimSelector: 's1', dkimKey: 'k.pem', dkimDomain: '192.0.2.1' } },
    { name: 'an empty key path', input: { dkimSelector: 's1', dkimKey: ' ' } },
  ])('refuses $name', ({ input }) => {
    expect(() => buildServeConfig({ ...base, ...input })).toThrow(expect.objectContaining({ code: 'ERR_CA_CONFIG' }));
  });
  it.each([
    { url: 'https://ca.example.org', want: 'ping@ca.example.org' },
    { url: 'https://ca.example.org:8443/cacert', want: 'ping@ca.example.org' },
    { url: 'http://127.0.0.1:8440', want: 'ping@localhost' },
    { url: 'http://[::1]:8440', want: 'ping@localhost' },
    { url: 'http://localhost:8440', want: 'ping@localhost' },
  ])('defaults the ping address of $url to $want', ({ url, want }) => {
    expect(defaultPingFrom(url)).toBe(want);
  });
});

describe('parseArgv', () => {
  const specs = [
    { name: 'dir', arity: 1 as const },
    { name: 'field', short: 'f', arity: 2 as const, repeatable: true },
    { name: 'yes', arity: 0 as const },
  ];
  it('reads two-value repeatable options in order, --name=value and flags', () => {
    expect(parseArgv(['-f', 'C', 'US', '--dir=x', '-f', 'CN', 'Example CA', '--yes'], specs)).toEqual({
      field: [
        ['C', 'US'],
        ['CN', 'Example CA'],
      ],
      dir: 'x',
      yes: true,
    });
  });
  it.each([
    { name: 'unknown option', argv: ['--nope'] },
    { name: 'missing value', argv: ['--dir'] },
    { name: 'option as value', argv: ['-f', 'CN', '--dir'] },
    { name: 'repeated single option', argv: ['--dir', 'a', '--dir', 'b'] },
    { name: 'stray word', argv: ['word'] },
  ])('refuses $name', ({ argv }) => {
    expect(() => parseArgv(argv, specs)).toThrow(expect.objectContaining({ code: 'ERR_CA_CONFIG' }));
  });
});

describe('buildServeConfig: expiry notices', () => {
  it.each([
    { name: 'the default: 30 and 7 days, every hour', input: {}, want: { expiryNoticeDays: [30, 7], expiryNoticeIntervalMs: 3_600_000 } },
    { name: 'days in any order, largest first', input: { expiryNoticeDays: '7, 30,1' }, want: { expiryNoticeDays: [30, 7, 1] } },
    { name: 'none: no notices', input: { expiryNoticeDays: 'none' }, want: { expiryNoticeDays: [] } },
    { name: 'a period in minutes', input: { expiryNoticeIntervalMinutes: '5' }, want: { expiryNoticeIntervalMs: 300_000 } },
  ])('$name', ({ input, want }) => {
    expect(buildServeConfig({ identity: 'id', data: 'data', ...input })).toMatchObject(want);
  });
  it.each([
    { expiryNoticeDays: '' },
    { expiryNoticeDays: '30,,7' },
    { expiryNoticeDays: '0' },
    { expiryNoticeDays: '7,7' },
    { expiryNoticeDays: '3651' },
    { expiryNoticeDays: '1.5' },
    { expiryNoticeDays: 'never' },
    { expiryNoticeIntervalMinutes: '0' },
    { expiryNoticeIntervalMinutes: '1441' },
  ])('refuses %o', (input) => {
    expect(() => buildServeConfig({ identity: 'id', data: 'data', ...input })).toThrow(expect.objectContaining({ code: 'ERR_CA_CONFIG' }));
  });
});
