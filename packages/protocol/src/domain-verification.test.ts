/**
 * The codecs of the domains wire (our extension): the request decoders' shape rules, the answer
 * decoders (success, documented refusal, anything else), and cdomains' strict lines.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCdomainsAnswer, encodeCdomainsAnswer } from './cacert-api.js';
import {
  decodeDomainAnswer,
  decodeDomainCheckRequest,
  decodeDomainList,
  decodeDomainRequest,
  decodeDomainVerifiedAnswer,
  dnsChallengeName,
  encodeDomainCheckRequest,
  encodeDomainError,
  encodeDomainRequest,
  httpChallengeUrl,
  namesNotCoveredDetail,
  namesNotCoveredOf,
} from './domain-verification.js';
import { codeOf } from './test-support/code-of.js';

const NONCE = 'n0nce-Of_The-Mail-Server-43-characters-long';

describe('domain requests', () => {
  it.each([
    { name: 'dns', body: 'domain=example.org&method=dns', want: { domain: 'example.org', method: 'dns' } },
    { name: 'http, trimmed', body: 'domain=+example.org+&method=http', want: { domain: 'example.org', method: 'http' } },
    {
      name: 'email with a nonce',
      body: `domain=example.org&method=email&address=postmaster%40example.org&PingNonce=${NONCE}`,
      want: { domain: 'example.org', method: 'email', address: 'postmaster@example.org', pingNonce: NONCE },
    },
    {
      name: 'email, empty nonce as absent',
      body: 'domain=example.org&method=email&address=root%40example.org&PingNonce=',
      want: { domain: 'example.org', method: 'email', address: 'root@example.org' },
    },
  ])('decodes $name and encodes it back', ({ body, want }) => {
    const decoded = decodeDomainRequest(new URLSearchParams(body));
    expect(decoded).toEqual({ ok: true, request: want });
    expect(decodeDomainRequest(encodeDomainRequest(want as never))).toEqual(decoded);
  });

  it.each([
    ['no domain', 'method=dns'],
    ['two domains', 'domain=a.example&domain=b.example&method=dns'],
    ['an unknown method', 'domain=example.org&method=ftp'],
    ['email without an address', 'domain=example.org&method=email'],
    ['an address with dns', 'domain=example.org&method=dns&address=root%40example.org'],
    ['a malformed nonce', 'domain=example.org&method=email&address=root%40example.org&PingNonce=short'],
  ])('refuses %s', (_name, body) => {
    expect(decodeDomainRequest(new URLSearchParams(body)).ok).toBe(false);
  });

  it('decodes a check request for dns and http only', () => {
    expect(decodeDomainCheckRequest(encodeDomainCheckRequest({ domain: 'example.org', method: 'dns' }))).toEqual({
      ok: true,
      request: { domain: 'example.org', method: 'dns' },
    });
    expect(decodeDomainCheckRequest(new URLSearchParams('domain=example.org&method=email')).ok).toBe(false);
  });

  it('names the challenge locations', () => {
    expect(dnsChallengeName('example.org')).toBe('_certwizard-challenge.example.org');
    expect(httpChallengeUrl('example.org', 'tok')).toBe('http://example.org/.well-known/certwizard-challenge/tok');
  });
});

describe('domain answers', () => {
  const dns = {
    status: 'challenge',
    domain: 'example.org',
    method: 'dns',
    name: '_certwizard-challenge.example.org',
    value: 'v',
    expiresAt: '2030-01-01T00:00:00.000Z',
  };
  it('decodes each success and refuses extra members or a wrong status', () => {
    expect(decodeDomainAnswer(200, dns)).toEqual(dns);
    expect(decodeDomainAnswer(202, { status: 'ping_sent', domain: 'example.org', address: 'root@example.org' })).toMatchObject({ status: 'ping_sent' });
    expect(codeOf(() => decodeDomainAnswer(200, { ...dns, extra: 1 }))).toBe('ERR_PROTOCOL_MALFORMED_RESPONSE');
    expect(codeOf(() => decodeDomainAnswer(202, dns))).toBe('ERR_PROTOCOL_MALFORMED_RESPONSE');
    const verified = { status: 'verified', domain: 'example.org', method: 'http', verifiedAt: 'a', lapsesAt: 'b' };
    expect(decodeDomainVerifiedAnswer(200, verified)).toEqual(verified);
    expect(decodeDomainList(200, { domains: [{ domain: 'example.org', unicode: 'example.org', status: 'unverified' }] })).toHaveLength(1);
    expect(codeOf(() => decodeDomainList(200, { domains: [{ domain: 'example.org', unicode: 'example.org', status: 'verified' }] }))).toBe(
      'ERR_PROTOCOL_MALFORMED_RESPONSE',
    );
  });

  it('turns a documented error body into CaRejectedError, an undocumented one into a malformed answer', () => {
    expect(codeOf(() => decodeDomainAnswer(409, encodeDomainError('domain_taken', 'taken')))).toBe('ERR_PROTOCOL_CA_REJECTED');
    expect(codeOf(() => decodeDomainVerifiedAnswer(403, encodeDomainError('challenge_failed', 'no record')))).toBe('ERR_PROTOCOL_CA_REJECTED');
    expect(codeOf(() => decodeDomainAnswer(400, encodeDomainError('domain_taken', 'wrong status')))).toBe('ERR_PROTOCOL_MALFORMED_RESPONSE');
  });
});

describe('cdomains', () => {
  it('encodes and decodes the lines', () => {
    expect(encodeCdomainsAnswer([])).toBe('200,Authentication Ok\n');
    const text = encodeCdomainsAnswer(['examplemail.test', 'xn--bcher-kva.example']);
    expect(text).toBe('200,Authentication Ok\nDOMAIN=examplemail.test\nDOMAIN=xn--bcher-kva.example\n');
    expect(decodeCdomainsAnswer(200, text)).toEqual(['examplemail.test', 'xn--bcher-kva.example']);
    expect(decodeCdomainsAnswer(200, '200,Authentication Ok')).toEqual([]);
  });

  it.each([
    ['an upper-case value', '200,Authentication Ok\nDOMAIN=Example.org\n'],
    ['a U-label', '200,Authentication Ok\nDOMAIN=bücher.example\n'],
    ['another key', '200,Authentication Ok\nEMAIL=a@example.org\n'],
    ['a repeated domain', '200,Authentication Ok\nDOMAIN=example.org\nDOMAIN=example.org\n'],
    ['a carriage return', '200,Authentication Ok\r\nDOMAIN=example.org\n'],
  ])('refuses %s', (_name, text) => {
    expect(codeOf(() => decodeCdomainsAnswer(200, text))).toBe('ERR_PROTOCOL_MALFORMED_RESPONSE');
  });

  it('reads cemails failure lines as refusals', () => {
    expect(codeOf(() => decodeCdomainsAnswer(401, '401,authentication_failed Authentication failed\n'))).toBe('ERR_PROTOCOL_CA_REJECTED');
    expect(() => encodeCdomainsAnswer(['Example.org'])).toThrow(TypeError);
  });
});

describe('the names of name_not_allowed', () => {
  it('reads back the names the CA wrote, with or without the code after them', () => {
    const detail = namesNotCoveredDetail(['www.other.test', 'xn--bcher-kva.example']);
    expect(detail).toBe('not within a verified domain of this account: www.other.test, xn--bcher-kva.example');
    expect(namesNotCoveredOf(detail)).toEqual(['www.other.test', 'xn--bcher-kva.example']);
    expect(namesNotCoveredOf(`${detail} (name_not_allowed)`)).toEqual(['www.other.test', 'xn--bcher-kva.example']);
    expect(namesNotCoveredOf(`403,name_not_allowed ${detail}`)).toEqual(['www.other.test', 'xn--bcher-kva.example']);
  });

  it.each(['you may not certify NAME=Ada', 'not within a verified domain of this account: ', ''])('names nothing for %j', (text) => {
    expect(namesNotCoveredOf(text)).toBeUndefined();
  });

  it('round-trips any list of DNS names', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    const name = fc.array(label, { minLength: 2, maxLength: 4 }).map((labels) => labels.join('.'));
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 5 }), (names) => {
        expect(namesNotCoveredOf(namesNotCoveredDetail(names))).toEqual(names);
      }),
    );
  });
});
