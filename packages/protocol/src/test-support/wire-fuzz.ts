/**
 * Test support for the protocol property tests: the package's typed-error check, and arbitraries
 * of what a peer can send (text lines, form bodies, JSON), whole, near the format, or damaged.
 * Not part of the package's build.
 */
import fc from 'fast-check';
import { mutatedText } from '../../../pki/src/test-support/property.js';
import { ProtocolError } from '../errors.js';

/** Every code of errors.ts: the stable codes a protocol decoder may throw. */
export const PROTOCOL_ERROR_CODES: readonly string[] = ['ERR_PROTOCOL', 'ERR_PROTOCOL_MALFORMED_RESPONSE', 'ERR_PROTOCOL_CA_REJECTED'];

/** Whether `error` is a ProtocolError carrying one of {@link PROTOCOL_ERROR_CODES}. */
export function isProtocolError(error: unknown): boolean {
  return error instanceof ProtocolError && PROTOCOL_ERROR_CODES.includes(error.code);
}

/**
 * Pieces that wire formats treat specially: separators of lines, pairs and keys, escapes (valid,
 * truncated, of invalid UTF-8), line and paragraph separators that regular expressions' `.` does
 * not match, lone surrogates, and names that live on Object.prototype.
 */
export const WIRE_UNITS: readonly string[] = [
  '\n',
  '\r',
  '\r\n',
  '\t',
  ' ',
  '=',
  '&',
  '%',
  '#',
  '?',
  '@',
  ',',
  '+',
  '/',
  ':',
  ';',
  '"',
  '\\',
  '-',
  '_',
  '.',
  '~',
  '\u0000',
  '\u00e9',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ud800',
  '\udc00',
  '%0A',
  '%2',
  '%ZZ',
  '%C3%A9',
  '%ED%A0%80',
  '%2B',
  '%26',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'a',
  'Z',
  '0',
  '9',
];

/** Text a peer can send: any code points, strings of {@link WIRE_UNITS}, or a valid `valid` text damaged. */
export function wireText(valid: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: fc.constantFrom(...WIRE_UNITS), maxLength: 12 }),
    { arbitrary: mutatedText(valid, WIRE_UNITS), weight: 3 },
    fc.constantFrom(...valid),
  );
}

/** Member values near what decoders expect, and not: each of `near`, any JSON, a string of {@link WIRE_UNITS}. */
export function jsonMember(near: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...near), weight: 3 },
    fc.jsonValue({ maxDepth: 2 }),
    fc.string({ unit: fc.constantFrom(...WIRE_UNITS), maxLength: 6 }),
  );
}

/**
 * JSON objects as JSON.parse makes them from a peer's body, so that `__proto__` becomes an own
 * member and a repeated member keeps its last value: members named from `keys` (and any other
 * name), with values from `values`. Sometimes not an object at all.
 */
export function jsonBody(keys: readonly string[], values: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const entry = fc.tuple(
    fc.oneof({ arbitrary: fc.constantFrom(...keys), weight: 4 }, fc.constantFrom('__proto__', 'constructor', 'toString'), fc.string({ maxLength: 4 })),
    values,
  );
  const object = fc
    .array(entry, { maxLength: keys.length + 2 })
    .map((entries) => JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`) as unknown);
  return fc.oneof({ arbitrary: object, weight: 4 }, fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, [], 'text', 0));
}

/**
 * application/x-www-form-urlencoded bodies: `key=value` pairs joined by `&`, keys from `keys`
 * (and any other), values from `values` spelled raw or percent-encoded, and damaged bodies.
 */
export function formBody(keys: readonly string[], values: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const pair = fc
    .tuple(fc.oneof({ arbitrary: fc.constantFrom(...keys), weight: 4 }, fc.string({ maxLength: 4 })), values, fc.boolean())
    .map(([key, value, raw]) => `${key}=${raw ? value : encodeURIComponent(value.replace(/\p{Cs}/gu, '\ufffd'))}`);
  return fc.oneof(
    { arbitrary: fc.array(pair, { maxLength: keys.length + 2 }).map((pairs) => pairs.join('&')), weight: 3 },
    fc.string({ unit: fc.constantFrom(...WIRE_UNITS), maxLength: 12 }),
  );
}
