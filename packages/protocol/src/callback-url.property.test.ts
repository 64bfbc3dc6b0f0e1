/**
 * Properties of the `continue` / `error` URL check over any value: a result, never an exception,
 * never a hang. An accepted URL is the string received, is its own WHATWG serialisation, and is
 * accepted again; a refusal carries a documented reason and its fixed message. Every canonical
 * loopback URL with a port is accepted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProperty } from '../../pki/src/test-support/property.js';
import { CALLBACK_URL_PROBLEMS, LOOPBACK_HOSTS, validateCallbackUrl } from './callback-url.js';
import { wireText } from './test-support/wire-fuzz.js';

const OPTIONS = { allowedHttpsOrigins: ['https://vendor.example', 'https://vendor.example:8443'] };

const VALID = [
  'http://127.0.0.1:53111/done?state=x',
  'http://[::1]:8080/',
  'http://localhost:1/cb?a=b&c=%20',
  'https://vendor.example/after?x=1',
  'https://vendor.example:8443/',
];

/** URLs the WHATWG parser writes for a loopback host, any port but 80 and 0, any path and query. */
const canonicalLoopback = fc
  .tuple(fc.constantFrom(...LOOPBACK_HOSTS), fc.integer({ min: 1, max: 65535 }), fc.webPath(), fc.option(fc.webQueryParameters(), { nil: undefined }))
  .filter(([, port]) => port !== 80)
  .map(([host, port, path, query]) => new URL(`http://${host}:${port}${path}${query === undefined ? '' : `?${query}`}`).href);

describe('validateCallbackUrl', () => {
  it.each([
    { name: 'without options', options: {} },
    { name: 'with an https allowlist', options: OPTIONS },
  ])('any value, $name: a documented refusal, or the very string, canonical and accepted again', ({ options }) => {
    const raw = fc.oneof(fc.anything(), wireText(VALID), canonicalLoopback);
    checkProperty(
      fc.property(raw, (value) => {
        const result = validateCallbackUrl(value, options);
        if (!result.ok) {
          expect(Object.hasOwn(CALLBACK_URL_PROBLEMS, result.reason)).toBe(true);
          expect(result.message).toBe(CALLBACK_URL_PROBLEMS[result.reason]);
          return;
        }
        expect(result.url).toBe(value);
        expect(new URL(result.url).href).toBe(result.url);
        expect(validateCallbackUrl(result.url, options)).toEqual(result);
      }),
      { numRuns: 400 },
    );
  });

  it('every canonical loopback http URL with a port is accepted as it is', () => {
    checkProperty(
      fc.property(canonicalLoopback, (url) => {
        expect(validateCallbackUrl(url)).toEqual({ ok: true, url });
      }),
    );
  });
});
