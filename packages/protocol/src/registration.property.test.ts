/**
 * Properties of the registration hand-off: readPrefill over any query never throws and keeps
 * only non-empty, single prefill fields; buildRegistrationUrl's URL carries every option back
 * unchanged (prefill read by readPrefill, the rest by URLSearchParams); appendQueryParams keeps
 * the URL byte for byte and appends values that read back unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProperty } from '../../pki/src/test-support/property.js';
import { createPkcePair } from './pkce.js';
import { appendQueryParams, buildRegistrationUrl, PREFILL_FIELDS, readPrefill, TICKET_PATTERN } from './registration.js';
import { formBody, WIRE_UNITS } from './test-support/wire-fuzz.js';

const BASE = 'https://ca.example/cacert';
const CONTINUE = ['http://127.0.0.1:53111/done?state=x', 'http://[::1]:8080/cb', 'https://vendor.example/after?x=1&y='];

/** Well-formed text (no lone surrogates), often with the characters URL encoding must protect. */
const value = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom(...WIRE_UNITS.filter((u) => !/\p{Cs}/u.test(u))), maxLength: 8 }),
);

const prefill = fc.record(Object.fromEntries(PREFILL_FIELDS.map((field) => [field, value])), { requiredKeys: [] });

describe('readPrefill', () => {
  it('any query: only the prefill fields, each non-empty and sent once', () => {
    const query = fc.oneof(
      formBody([...PREFILL_FIELDS, 'id', 'password'], value),
      formBody(PREFILL_FIELDS, value).map((q) => `?${q}`),
    );
    checkProperty(
      fc.property(query, (q) => {
        const params = new URLSearchParams(q);
        const read = readPrefill(q);
        expect(readPrefill(params)).toEqual(read);
        for (const field of PREFILL_FIELDS) {
          const all = params.getAll(field);
          expect(read[field]).toBe(all.length === 1 && all[0] !== '' ? all[0] : undefined);
        }
        expect(Object.keys(read).every((k) => (PREFILL_FIELDS as readonly string[]).includes(k))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('buildRegistrationUrl', () => {
  it('every option comes back unchanged from the URL', () => {
    const options = fc.record(
      {
        prefill,
        continueUrl: fc.constantFrom(...CONTINUE),
        errorUrl: fc.constantFrom(...CONTINUE),
        ticket: fc.stringMatching(TICKET_PATTERN),
        codeChallenge: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => createPkcePair(() => bytes).challenge),
        pingNonce: fc.stringMatching(/^[A-Za-z0-9_-]{22,128}$/),
      },
      { requiredKeys: [] },
    );
    checkProperty(
      fc.property(options, (opts) => {
        const url = new URL(buildRegistrationUrl(BASE, opts));
        const params = url.searchParams;
        expect(`${url.origin}${url.pathname}`).toBe(`${BASE}/index.php`);
        expect(params.get('id')).toBe('1');
        expect(readPrefill(params)).toEqual(Object.fromEntries(Object.entries(opts.prefill ?? {}).filter(([, v]) => v !== '')));
        expect(params.get('continue')).toBe(opts.continueUrl ?? null);
        expect(params.get('error')).toBe(opts.errorUrl ?? null);
        expect(params.get('ticket')).toBe(opts.ticket ?? null);
        expect(params.get('code_challenge')).toBe(opts.codeChallenge ?? null);
        expect(params.get('code_challenge_method')).toBe(opts.codeChallenge === undefined ? null : 'S256');
        expect(params.get('PingNonce')).toBe(opts.pingNonce ?? null);
      }),
    );
  });

  it('a prefill value with a lone surrogate is refused, not silently replaced (regression: found by this property)', () => {
    checkProperty(
      fc.property(fc.constantFrom('Ann\ud800', '\udc00'), (FirstName) => {
        expect(() => buildRegistrationUrl(BASE, { prefill: { FirstName } })).toThrow(TypeError);
      }),
      { numRuns: 2 },
    );
  });
});

describe('appendQueryParams', () => {
  it('keeps the URL byte for byte and appends values that read back unchanged, in order', () => {
    const params = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), value, { maxKeys: 3 });
    checkProperty(
      fc.property(fc.constantFrom(...CONTINUE, 'http://127.0.0.1:1/?', 'http://127.0.0.1:1/?a=1&'), params, (url, extra) => {
        const out = appendQueryParams(url, extra);
        expect(out.startsWith(url)).toBe(true);
        const before = [...new URL(url).searchParams];
        expect([...new URL(out).searchParams]).toEqual([...before, ...Object.entries(extra)]);
      }),
    );
  });
});
