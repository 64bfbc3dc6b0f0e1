import { describe, expect, it } from 'vitest';
import { parseArgv } from './argv.js';
import { buildServeConfig, parseListen } from './config.js';

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
      validityDays: 90,
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
    { name: 'bad log level', input: { identity: 'i', data: 'd', logLevel: 'loud' } },
  ])('refuses $name', ({ input }) => {
    expect(() => buildServeConfig(input)).toThrow(expect.objectContaining({ code: 'ERR_CA_CONFIG' }));
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
