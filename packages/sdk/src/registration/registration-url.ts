/**
 * The vendor-facing registration URL: prefill only what the vendor is sure of.
 */
import { buildRegistrationUrl as buildWireUrl, type PrefillField } from '@certwizard/protocol';

/**
 * A value the vendor knows, with how sure it is. Only `sure: true` values reach the CA's form;
 * the user types (or confirms) everything else, so a guess never ends up in a registration.
 */
export interface Sure<T> {
  readonly value: T;
  readonly sure: boolean;
}

/** What the installer may prefill on the registration page. There is no password field, on purpose. */
export interface RegistrationPrefill {
  readonly firstName?: Sure<string>;
  readonly middleName?: Sure<string>;
  readonly lastName?: Sure<string>;
  readonly emailAddress?: Sure<string>;
}

/** Options of {@link buildRegistrationUrl}. */
export interface BuildRegistrationUrlOptions {
  /** Fields to prefill; only those marked `sure: true` are sent, and an empty value is left out. */
  readonly prefill?: RegistrationPrefill;
  /** `continue` target (the agent's `continueUrl`): a canonical loopback http URL with a port, or https. */
  readonly continueUrl?: string;
  /** `error` target (the agent's `errorUrl`), same rules. */
  readonly errorUrl?: string;
  /** A ticket from `givemeaticket`. */
  readonly ticket?: string;
  /** An RFC 7636 §4.2 S256 code challenge; `code_challenge_method=S256` is added with it. */
  readonly codeChallenge?: string;
  /** A PEM certificate request sent with the registration (the page's `CSR` field). */
  readonly csrPem?: string;
}

/** SDK field names and the wire names of the form fields they fill (docs/protocol.md, "The registration hand-off"). */
const WIRE_FIELDS: Readonly<Record<keyof RegistrationPrefill, PrefillField>> = {
  firstName: 'FirstName',
  middleName: 'MiddleName',
  lastName: 'LastName',
  emailAddress: 'EmailAddress',
};

/** Names that suggest a secret: refused with a message saying so, not just "unknown". */
const SECRET_LIKE = /pass|pwd|secret|pin|token|key|credential/i;

/**
 * Builds the URL of the CA's registration page (`/index.php?id=1`), prefilled with the fields the
 * vendor is sure of.
 *
 * Wraps `buildRegistrationUrl` of `@certwizard/protocol`, which encodes every value as
 * application/x-www-form-urlencoded (WHATWG URL §5.2): `+ & # = %` and non-ASCII are
 * percent-encoded, so they reach the CA unchanged. A field with `sure: false` is not sent at all.
 * There is no way to pass a password: password-like and unknown keys are refused.
 *
 * @param caUrl - the CA's base URL, e.g. `https://ca.example` (no query, fragment or user info).
 * @param options - see {@link BuildRegistrationUrlOptions}.
 * @throws {TypeError} for a password-like or unknown prefill key, a prefill value that is not
 *   `{ value: string, sure: boolean }`, a bad `caUrl`, a callback URL the CA would refuse, or a
 *   malformed ticket or challenge.
 * @example
 * buildRegistrationUrl('https://ca.example', {
 *   prefill: { emailAddress: { value: 'a+b@example.org', sure: true }, firstName: { value: 'Guess', sure: false } },
 * });
 * // 'https://ca.example/index.php?id=1&EmailAddress=a%2Bb%40example.org'
 */
export function buildRegistrationUrl(caUrl: string, options: BuildRegistrationUrlOptions = {}): string {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { prefill, ...rest } = options;
  return buildWireUrl(caUrl, { ...rest, prefill: surePrefill(prefill) });
}

/** The wire prefill: only `sure: true` values, under their wire names. */
function surePrefill(prefill: RegistrationPrefill | undefined): Partial<Record<PrefillField, string>> {
  if (prefill === undefined) return {};
  if (prefill === null || typeof prefill !== 'object') throw new TypeError('prefill must be an object');
  const wire: Partial<Record<PrefillField, string>> = {};
  for (const [key, entry] of Object.entries(prefill) as Array<[string, unknown]>) {
    if (SECRET_LIKE.test(key)) throw new TypeError(`prefill field ${JSON.stringify(key)} looks like a secret; the registration URL never carries one`);
    if (!Object.hasOwn(WIRE_FIELDS, key)) throw new TypeError(`unknown prefill field ${JSON.stringify(key)}; allowed: ${Object.keys(WIRE_FIELDS).join(', ')}`);
    if (entry === undefined) continue;
    const sure = entry as Partial<Sure<unknown>> | null;
    if (sure === null || typeof sure !== 'object' || typeof sure.sure !== 'boolean' || typeof sure.value !== 'string') {
      throw new TypeError(`prefill field ${key} must be { value: string, sure: boolean }`);
    }
    if (sure.sure) wire[WIRE_FIELDS[key as keyof RegistrationPrefill]] = sure.value;
  }
  return wire;
}
