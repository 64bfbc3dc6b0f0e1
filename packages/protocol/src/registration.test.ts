import { describe, expect, it } from 'vitest';
import {
  appendQueryParams,
  buildRegistrationUrl,
  isRegistrationErrorReason,
  PREFILL_FIELDS,
  readIsItDoneWait,
  readPrefill,
  REGISTRATION_ERROR_REASONS,
  TICKET_PATTERN,
  type RegistrationUrlOptions,
} from './registration.js';

const CA = 'https://ca.example';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const TICKET = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';
const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIBAzCBqwIBADAAMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+/=\n-----END CERTIFICATE REQUEST-----\n';

describe('buildRegistrationUrl', () => {
  it.each<{ name: string; input: { base: string; options: RegistrationUrlOptions }; want: string }>([
    { name: 'no options gives the bare page', input: { base: CA, options: {} }, want: `${CA}/index.php?id=1` },
    { name: 'a trailing slash on the base is not doubled', input: { base: `${CA}/`, options: {} }, want: `${CA}/index.php?id=1` },
    { name: 'a base path is kept', input: { base: `${CA}/cacert/`, options: {} }, want: `${CA}/cacert/index.php?id=1` },
    {
      name: 'prefill fields come in PREFILL_FIELDS order whatever the object order',
      input: { base: CA, options: { prefill: { LastName: 'Lovelace', FirstName: 'Ada' } } },
      want: `${CA}/index.php?id=1&FirstName=Ada&LastName=Lovelace`,
    },
    {
      name: '+ & # = % in an address are percent-encoded',
      input: { base: CA, options: { prefill: { EmailAddress: 'a+b&c#d=e%f@example.org' } } },
      want: `${CA}/index.php?id=1&EmailAddress=a%2Bb%26c%23d%3De%25f%40example.org`,
    },
    {
      name: 'a space becomes + and Unicode UTF-8 escapes',
      input: { base: CA, options: { prefill: { FirstName: 'Zoë Ann', LastName: '李' } } },
      want: `${CA}/index.php?id=1&FirstName=Zo%C3%AB+Ann&LastName=%E6%9D%8E`,
    },
    {
      name: 'empty and undefined prefill values are left out',
      input: { base: CA, options: { prefill: { FirstName: '', MiddleName: undefined, LastName: 'X' } } },
      want: `${CA}/index.php?id=1&LastName=X`,
    },
    {
      name: 'continue and error URLs are encoded whole, with their own query',
      input: { base: CA, options: { continueUrl: 'http://127.0.0.1:53111/ok?state=a&b=1', errorUrl: 'http://[::1]:53111/err' } },
      want: `${CA}/index.php?id=1&continue=http%3A%2F%2F127.0.0.1%3A53111%2Fok%3Fstate%3Da%26b%3D1&error=http%3A%2F%2F%5B%3A%3A1%5D%3A53111%2Ferr`,
    },
    {
      name: 'an https continue URL passes (only the CA knows its allowlist)',
      input: { base: CA, options: { continueUrl: 'https://vendor.example/done' } },
      want: `${CA}/index.php?id=1&continue=https%3A%2F%2Fvendor.example%2Fdone`,
    },
    {
      name: 'ticket and challenge, with the S256 method added',
      input: { base: CA, options: { ticket: TICKET, codeChallenge: CHALLENGE } },
      want: `${CA}/index.php?id=1&ticket=${TICKET}&code_challenge=${CHALLENGE}&code_challenge_method=S256`,
    },
  ])('$name', ({ input, want }) => {
    expect(buildRegistrationUrl(input.base, input.options)).toBe(want);
  });

  it('round-trips every prefill value through URLSearchParams unchanged', () => {
    const prefill = { FirstName: 'A&B=C', MiddleName: '+ #%', LastName: 'Ünïcødé 🎉', EmailAddress: 'x+tag@bücher.example' };
    const query = new URL(buildRegistrationUrl(CA, { prefill })).searchParams;
    for (const field of PREFILL_FIELDS) expect(query.get(field)).toBe(prefill[field]);
  });

  it('carries a certificate request in the CSR field, trimmed, intact through URL encoding', () => {
    const query = new URL(buildRegistrationUrl(CA, { csrPem: `\n${CSR}` })).searchParams;
    expect(query.get('CSR')).toBe(CSR.trim());
  });

  it('carries a ping nonce last, in the PingNonce field', () => {
    const nonce = 'n0nce-Of_The-Mail-Server-43-characters-long';
    const url = buildRegistrationUrl(CA, { ticket: TICKET, pingNonce: nonce });
    expect(url).toBe(`${CA}/index.php?id=1&ticket=${TICKET}&PingNonce=${nonce}`);
  });

  it.each<{ name: string; input: { base: string; options: unknown } }>([
    { name: 'a ping nonce that is too short', input: { base: CA, options: { pingNonce: 'abc' } } },
    { name: 'a ping nonce with padding', input: { base: CA, options: { pingNonce: `${'A'.repeat(42)}=` } } },
    { name: 'a ping nonce over 128 characters', input: { base: CA, options: { pingNonce: 'A'.repeat(129) } } },
    { name: 'a PIN option (secret-like, not the ping nonce)', input: { base: CA, options: { pin: '1234' } } },
    { name: 'a CSR that is a certificate', input: { base: CA, options: { csrPem: CSR.replaceAll('CERTIFICATE REQUEST', 'CERTIFICATE') } } },
    { name: 'a CSR with text around it', input: { base: CA, options: { csrPem: `hello\n${CSR}` } } },
    { name: 'a CSR over the length limit', input: { base: CA, options: { csrPem: CSR.replace('+/=', 'A'.repeat(9000)) } } },
    { name: 'a password prefill field', input: { base: CA, options: { prefill: { Password: 'hunter2' } } } },
    { name: 'a lower-case password prefill field', input: { base: CA, options: { prefill: { password: 'hunter2' } } } },
    { name: 'a PIN prefill field', input: { base: CA, options: { prefill: { pin: '1234' } } } },
    { name: 'an unknown prefill field', input: { base: CA, options: { prefill: { Phone: '123' } } } },
    { name: 'a password option', input: { base: CA, options: { password: 'hunter2' } } },
    { name: 'an unknown option', input: { base: CA, options: { locale: 'de' } } },
    { name: 'a non-string prefill value', input: { base: CA, options: { prefill: { FirstName: 42 } } } },
    { name: 'a continue URL on a non-loopback http host', input: { base: CA, options: { continueUrl: 'http://evil.test:8080/' } } },
    { name: 'a continue URL that is not canonical', input: { base: CA, options: { continueUrl: 'http://127.1:8080/' } } },
    { name: 'an error URL with a fragment', input: { base: CA, options: { errorUrl: 'http://127.0.0.1:8080/#x' } } },
    { name: 'an empty continue URL', input: { base: CA, options: { continueUrl: '' } } },
    { name: 'a ticket that is too short', input: { base: CA, options: { ticket: 'abc' } } },
    { name: 'a ticket with a character outside base64url', input: { base: CA, options: { ticket: `${TICKET.slice(1)}/` } } },
    { name: 'an empty ticket', input: { base: CA, options: { ticket: '' } } },
    { name: 'a challenge of the wrong length', input: { base: CA, options: { codeChallenge: CHALLENGE.slice(1) } } },
    { name: 'a challenge with padding', input: { base: CA, options: { codeChallenge: `${CHALLENGE.slice(1)}=` } } },
    { name: 'a base URL that is not http(s)', input: { base: 'ftp://ca.example', options: {} } },
    { name: 'a base URL with a query', input: { base: `${CA}/?x=1`, options: {} } },
    { name: 'a base URL with user info', input: { base: 'https://u:p@ca.example', options: {} } },
    { name: 'a relative base URL', input: { base: '/index.php', options: {} } },
  ])('throws TypeError for $name', ({ input }) => {
    expect(() => buildRegistrationUrl(input.base, input.options as RegistrationUrlOptions)).toThrow(TypeError);
  });

  it('never echoes a password-like value in the error', () => {
    expect(() => buildRegistrationUrl(CA, { prefill: { Password: 'hunter2' } } as RegistrationUrlOptions)).toThrow(/^(?!.*hunter2)/);
  });
});

describe('appendQueryParams', () => {
  it.each<{ name: string; input: { url: string; params: Record<string, string> }; want: string }>([
    {
      name: 'adds a query to a URL without one',
      input: { url: 'http://127.0.0.1:8080/cb', params: { EmailAddress: 'a@b.example' } },
      want: 'http://127.0.0.1:8080/cb?EmailAddress=a%40b.example',
    },
    {
      name: 'goes after existing parameters',
      input: { url: 'http://127.0.0.1:8080/cb?state=s1', params: { EmailAddress: 'a@b.example' } },
      want: 'http://127.0.0.1:8080/cb?state=s1&EmailAddress=a%40b.example',
    },
    { name: 'does not double a trailing ?', input: { url: 'http://127.0.0.1:8080/cb?', params: { a: '1' } }, want: 'http://127.0.0.1:8080/cb?a=1' },
    { name: 'does not double a trailing &', input: { url: 'http://127.0.0.1:8080/cb?x=1&', params: { a: '1' } }, want: 'http://127.0.0.1:8080/cb?x=1&a=1' },
    {
      name: 'keeps the existing query byte for byte',
      input: { url: 'https://v.example/p/a%2Fb?q=a+b&r=%2B', params: { a: '1' } },
      want: 'https://v.example/p/a%2Fb?q=a+b&r=%2B&a=1',
    },
    {
      name: 'encodes + & # = in a value',
      input: { url: 'http://[::1]:8080/', params: { EmailAddress: 'a+b&c#d=e@x.example' } },
      want: 'http://[::1]:8080/?EmailAddress=a%2Bb%26c%23d%3De%40x.example',
    },
    {
      name: 'encodes Unicode as UTF-8',
      input: { url: 'http://localhost:8080/', params: { EmailAddress: 'zoë@bücher.example' } },
      want: 'http://localhost:8080/?EmailAddress=zo%C3%AB%40b%C3%BCcher.example',
    },
    {
      name: 'keeps the order of several parameters',
      input: { url: 'http://localhost:8080/e', params: { EmailAddress: 'a@b.example', reason: 'address_taken' } },
      want: 'http://localhost:8080/e?EmailAddress=a%40b.example&reason=address_taken',
    },
    { name: 'returns the URL unchanged for no parameters', input: { url: 'http://localhost:8080/e?x=1', params: {} }, want: 'http://localhost:8080/e?x=1' },
  ])('$name', ({ input, want }) => {
    expect(appendQueryParams(input.url, input.params)).toBe(want);
  });

  it.each(['a+b@example.org', 'a&b=c@example.org', '"quoted#hash"@example.org', 'percent%41@example.org', 'ünïcødé@bücher.example', ' spaced @example.org'])(
    'a receiver reads %j back exactly, after the existing parameter',
    (email) => {
      const url = new URL(appendQueryParams('http://127.0.0.1:8080/cb?state=s1', { EmailAddress: email }));
      expect([...url.searchParams]).toEqual([
        ['state', 's1'],
        ['EmailAddress', email],
      ]);
      expect(url.pathname).toBe('/cb');
    },
  );

  it.each([
    { name: 'a fragment', input: 'http://127.0.0.1:8080/cb#x' },
    { name: 'an empty fragment', input: 'http://127.0.0.1:8080/cb#' },
    { name: 'a relative URL', input: '/cb' },
  ])('throws TypeError for $name', ({ input }) => {
    expect(() => appendQueryParams(input, { a: '1' })).toThrow(TypeError);
  });
});

describe('readPrefill', () => {
  it.each([
    {
      name: 'keeps the four fields',
      input: '?FirstName=Ada&MiddleName=B&LastName=Lovelace&EmailAddress=a%2Bb%40x.example',
      want: { FirstName: 'Ada', MiddleName: 'B', LastName: 'Lovelace', EmailAddress: 'a+b@x.example' },
    },
    {
      name: 'ignores every other parameter',
      input: 'id=1&password=x&Password=y&continue=http%3A%2F%2F127.0.0.1%3A1%2F&FirstName=Ada',
      want: { FirstName: 'Ada' },
    },
    { name: 'leaves out an empty field', input: 'FirstName=&LastName=L', want: { LastName: 'L' } },
    { name: 'leaves out a repeated field', input: 'EmailAddress=a%40x.example&EmailAddress=b%40x.example', want: {} },
    { name: 'is case-sensitive on names', input: 'firstname=Ada', want: {} },
  ])('$name', ({ input, want }) => {
    expect(readPrefill(input)).toEqual(want);
  });
});

describe('REGISTRATION_ERROR_REASONS', () => {
  it('holds exactly the documented codes', () => {
    expect(Object.keys(REGISTRATION_ERROR_REASONS)).toEqual(['address_taken', 'ticket_expired', 'cancelled', 'confirmation_failed', 'invalid_request']);
  });

  it.each([
    { name: 'a documented code', input: 'cancelled', want: true },
    { name: 'an inherited property name', input: 'toString', want: false },
    { name: 'a different case', input: 'Cancelled', want: false },
    { name: 'a non-string', input: 1, want: false },
  ])('isRegistrationErrorReason: $name is $want', ({ input, want }) => {
    expect(isRegistrationErrorReason(input)).toBe(want);
  });
});

describe('TICKET_PATTERN', () => {
  it.each([
    { name: '22 characters (132 bits)', input: 'A'.repeat(22), want: true },
    { name: '64 characters', input: '_'.repeat(64), want: true },
    { name: '21 characters (under 128 bits)', input: 'A'.repeat(21), want: false },
    { name: '65 characters', input: 'A'.repeat(65), want: false },
    { name: 'standard base64 characters', input: `${'A'.repeat(21)}+`, want: false },
    { name: 'a trailing newline', input: `${'A'.repeat(22)}\n`, want: false },
  ])('$name: $want', ({ input, want }) => {
    expect(TICKET_PATTERN.test(input)).toBe(want);
  });
});

describe('readIsItDoneWait', () => {
  it.each([
    ['1', 1],
    ['25', 25],
    ['30', 30],
  ])('reads %s', (text, seconds) => {
    expect(readIsItDoneWait(text)).toBe(seconds);
  });

  it('is undefined when absent', () => {
    expect(readIsItDoneWait(undefined)).toBeUndefined();
  });

  it.each(['', '0', '31', '99', '025', '+5', '-1', '1.5', ' 5', '5 ', '1e1', '٣'])('refuses %j', (text) => {
    expect(() => readIsItDoneWait(text)).toThrow(RangeError);
  });
});
