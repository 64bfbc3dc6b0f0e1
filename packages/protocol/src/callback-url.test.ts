import { describe, expect, it } from 'vitest';
import { CALLBACK_URL_MAX_LENGTH, CALLBACK_URL_PROBLEMS, validateCallbackUrl, type CallbackUrlProblem } from './callback-url.js';

const ALLOWED = ['https://vendor.example', 'https://portal.vendor.example:8443'];
const longUrl = (length: number) => {
  const prefix = 'http://127.0.0.1:8080/cb?pad=';
  return prefix + 'a'.repeat(length - prefix.length);
};

describe('validateCallbackUrl', () => {
  it.each([
    { name: 'IPv4 loopback with a port and a path', input: 'http://127.0.0.1:8080/cb' },
    { name: 'IPv6 loopback in its canonical form', input: 'http://[::1]:8080/cb' },
    { name: 'an existing query (state token) kept', input: 'http://127.0.0.1:53111/done?state=abc&x=1' },
    { name: 'parameters whose names only contain a reserved one', input: 'http://127.0.0.1:53111/done?codes=1&my_reason=2&EmailAddress2=3' },
    { name: 'a reserved name as a value', input: 'http://127.0.0.1:53111/done?next=code&x=EmailAddress' },
    { name: 'an empty query', input: 'http://127.0.0.1:8080/cb?' },
    { name: 'upper-case hex escapes in the path (the parser keeps them)', input: 'http://127.0.0.1:8080/a%2Fb' },
    { name: 'the highest port', input: 'http://127.0.0.1:65535/' },
    { name: 'an allowed https origin', input: 'https://vendor.example/welcome' },
    { name: 'an allowed https origin with a path and a query', input: 'https://vendor.example/a/b?lang=de&x=%2B' },
    { name: 'an allowed https origin with a non-default port', input: 'https://portal.vendor.example:8443/done' },
    { name: 'a URL of exactly 2048 characters', input: longUrl(CALLBACK_URL_MAX_LENGTH) },
  ])('accepts $name', ({ input }) => {
    expect(validateCallbackUrl(input, { allowedHttpsOrigins: ALLOWED })).toEqual({ ok: true, url: input });
  });

  it.each<{ name: string; input: unknown; want: CallbackUrlProblem }>([
    { name: 'a number', input: 8080, want: 'not_a_string' },
    { name: 'undefined (parameter absent)', input: undefined, want: 'not_a_string' },
    { name: 'an array (parameter repeated)', input: ['http://127.0.0.1:8080/a', 'http://127.0.0.1:8080/b'], want: 'not_a_string' },
    { name: 'a URL of 2049 characters', input: longUrl(CALLBACK_URL_MAX_LENGTH + 1), want: 'too_long' },
    { name: 'the empty string', input: '', want: 'unparsable' },
    { name: 'a scheme-relative URL', input: '//127.0.0.1:8080/cb', want: 'unparsable' },
    { name: 'a port above 65535', input: 'http://127.0.0.1:65536/', want: 'unparsable' },
    { name: 'javascript:', input: 'javascript:alert(document.cookie)', want: 'bad_scheme' },
    { name: 'data:', input: 'data:text/html,<script>alert(1)</script>', want: 'bad_scheme' },
    { name: 'file:', input: 'file:///etc/passwd', want: 'bad_scheme' },
    { name: 'ftp:', input: 'ftp://127.0.0.1:8080/', want: 'bad_scheme' },
    { name: 'user and password', input: 'http://a:b@127.0.0.1:8080/', want: 'user_info' },
    { name: 'localhost:port used as user info before the real host', input: 'http://localhost:8080@evil.test/cb', want: 'user_info' },
    { name: 'user info on an allowed https origin', input: 'https://me@vendor.example/', want: 'user_info' },
    { name: 'a fragment', input: 'http://127.0.0.1:8080/cb#frag', want: 'fragment' },
    { name: 'an empty fragment', input: 'http://127.0.0.1:8080/cb#', want: 'fragment' },
    { name: 'short IPv4 127.1', input: 'http://127.1:8080/cb', want: 'not_canonical' },
    { name: 'hex IPv4 0x7f.0.0.1', input: 'http://0x7f.0.0.1:8080/cb', want: 'not_canonical' },
    { name: 'decimal IPv4 2130706433', input: 'http://2130706433:8080/cb', want: 'not_canonical' },
    { name: 'octal IPv4 0177.0.0.1', input: 'http://0177.0.0.1:8080/cb', want: 'not_canonical' },
    { name: 'a backslash turning user info into a path', input: 'http://127.0.0.1:8080\\@evil.test/', want: 'not_canonical' },
    { name: 'a tab inside (stripped by the parser)', input: 'http://127.0.0.1:8080/c\tb', want: 'not_canonical' },
    { name: 'a newline inside (stripped by the parser)', input: 'http://127.0.0.1:8080/c\nb', want: 'not_canonical' },
    { name: 'leading white space', input: ' http://127.0.0.1:8080/cb', want: 'not_canonical' },
    { name: 'full-width dots', input: 'http://127。0。0。1:8080/cb', want: 'not_canonical' },
    { name: 'a percent-escape in the host', input: 'http://127.0.0.%31:8080/cb', want: 'not_canonical' },
    { name: 'an upper-case scheme', input: 'HTTP://127.0.0.1:8080/cb', want: 'not_canonical' },
    { name: 'an upper-case host', input: 'http://LOCALHOST:8080/cb', want: 'not_canonical' },
    { name: 'a long-form IPv6 loopback', input: 'http://[0:0:0:0:0:0:0:1]:8080/', want: 'not_canonical' },
    { name: 'the default port 80 (dropped by the parser)', input: 'http://127.0.0.1:80/cb', want: 'not_canonical' },
    { name: 'a port with a leading zero', input: 'http://127.0.0.1:08080/cb', want: 'not_canonical' },
    { name: 'no path (the parser adds /)', input: 'http://127.0.0.1:8080', want: 'not_canonical' },
    { name: 'a dot segment', input: 'http://127.0.0.1:8080/a/../b', want: 'not_canonical' },
    { name: 'an escaped dot segment', input: 'http://127.0.0.1:8080/%2e%2e/b', want: 'not_canonical' },
    { name: 'a space in the query', input: 'http://127.0.0.1:8080/cb?q=a b', want: 'not_canonical' },
    { name: 'a quote in the query', input: "http://127.0.0.1:8080/cb?q='", want: 'not_canonical' },
    { name: 'non-ASCII in the path', input: 'http://127.0.0.1:8080/é', want: 'not_canonical' },
    { name: 'a missing slash after http:', input: 'http:/127.0.0.1:8080/', want: 'not_canonical' },
    { name: 'the https default port spelled out', input: 'https://vendor.example:443/', want: 'not_canonical' },
    { name: 'localhost (may resolve elsewhere; the agent names 127.0.0.1)', input: 'http://localhost:53111/done', want: 'not_loopback' },
    { name: 'localhost with port 0', input: 'http://localhost:0/', want: 'not_loopback' },
    { name: 'another 127/8 address', input: 'http://127.0.0.2:8080/', want: 'not_loopback' },
    { name: 'IPv4-mapped IPv6 loopback', input: 'http://[::ffff:7f00:1]:8080/', want: 'not_loopback' },
    { name: 'localhost with a trailing dot', input: 'http://localhost.:8080/', want: 'not_loopback' },
    { name: 'a look-alike localhost (Cyrillic o, punycoded)', input: 'http://xn--lcalhost-nbh:8080/', want: 'not_loopback' },
    { name: 'a public host over http', input: 'http://vendor.example:8080/', want: 'not_loopback' },
    { name: 'an allowed origin over plain http', input: 'http://vendor.example/', want: 'not_loopback' },
    { name: 'no port', input: 'http://127.0.0.1/cb', want: 'port_required' },
    { name: 'port 0', input: 'http://127.0.0.1:0/', want: 'invalid_port' },
    {
      name: 'EmailAddress already in the query (would smuggle an address to the installer)',
      input: 'http://127.0.0.1:8080/cb?EmailAddress=victim%40evil.test',
      want: 'reserved_parameter',
    },
    { name: 'code already in the query', input: 'http://127.0.0.1:8080/cb?state=x&code=attacker', want: 'reserved_parameter' },
    { name: 'reason already in the query', input: 'http://[::1]:8080/failed?reason=cancelled', want: 'reserved_parameter' },
    { name: 'a reserved name without a value', input: 'http://127.0.0.1:8080/cb?code', want: 'reserved_parameter' },
    { name: 'a reserved name percent-encoded', input: 'http://127.0.0.1:8080/cb?Email%41ddress=a%40b.test', want: 'reserved_parameter' },
    { name: 'a reserved name in another letter case', input: 'http://127.0.0.1:8080/cb?emailaddress=a%40b.test', want: 'reserved_parameter' },
    { name: 'a reserved name on an allowed https origin', input: 'https://vendor.example/done?code=x', want: 'reserved_parameter' },
    { name: 'https on an origin not allowed', input: 'https://evil.test/cb', want: 'https_origin_not_allowed' },
    { name: 'https on a subdomain of an allowed origin', input: 'https://a.vendor.example/', want: 'https_origin_not_allowed' },
    { name: 'https on an allowed host with another port', input: 'https://vendor.example:8443/', want: 'https_origin_not_allowed' },
    { name: 'https loopback not on the allowlist', input: 'https://127.0.0.1:8443/', want: 'https_origin_not_allowed' },
  ])('refuses $name as $want', ({ input, want }) => {
    const result = validateCallbackUrl(input, { allowedHttpsOrigins: ALLOWED });
    expect(result).toEqual({ ok: false, reason: want, message: CALLBACK_URL_PROBLEMS[want] });
  });

  it('accepts no https URL without an allowlist', () => {
    expect(validateCallbackUrl('https://vendor.example/')).toMatchObject({ ok: false, reason: 'https_origin_not_allowed' });
  });

  it('never puts the URL into the message (it is echoed to pages and logs)', () => {
    const result = validateCallbackUrl('http://127.0.0.1:8080/cb?secret=s3cr3t#x');
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('s3cr3t');
  });

  it.each([
    { name: 'a trailing slash', input: 'https://vendor.example/' },
    { name: 'a path', input: 'https://vendor.example/app' },
    { name: 'an upper-case host', input: 'https://Vendor.example' },
    { name: 'the default port spelled out', input: 'https://vendor.example:443' },
    { name: 'plain http', input: 'http://vendor.example' },
    { name: 'not a URL', input: 'vendor.example' },
    { name: 'not a string', input: 42 },
  ])('throws TypeError for an allowlist entry with $name (caller misuse)', ({ input }) => {
    expect(() => validateCallbackUrl('http://127.0.0.1:8080/', { allowedHttpsOrigins: [input as string] })).toThrow(TypeError);
  });
});
