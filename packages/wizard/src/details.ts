/**
 * The person's details, checked as the CA and the certificate will need them: names of 1 to 64
 * characters without control characters (the reference CA's limit), and an address that can be
 * an rfc822Name in a certificate (RFC 5280 §4.2.1.6, as `@certwizard/pki` checks it).
 */
import { normalizeEmailAddress } from '@certwizard/pki';
import { checkHostNames } from './host-names.js';
import type { WizardDetails } from './wire.js';

/** Longest first or last name, in characters (code points). */
export const NAME_MAX_LENGTH = 64;

/** What {@link checkDetails} found: the cleaned details, or a message per field. */
export type DetailsCheck = { readonly ok: true; readonly details: WizardDetails } | { readonly ok: false; readonly fields: Readonly<Record<string, string>> };

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Checks a `POST /api/details` body. Names are trimmed; the address is trimmed and its domain
 * lower-cased. Messages never quote the input, except a host name's, to say which one.
 * @param options.hostNames - the certificate is for the server's host names: `hostNames` must
 *   hold 1 to 20 names the CA would accept (`@certwizard/protocol`'s domain rules), returned in
 *   ASCII form. Default false: `hostNames` is ignored.
 * @param options.domains - the vendor's `enroll.domains`, which the host names must lie within.
 * @example
 * checkDetails({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@Example.org' });
 * // { ok: true, details: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org' } }
 */
export function checkDetails(input: unknown, options: { readonly hostNames?: boolean; readonly domains?: readonly string[] } = {}): DetailsCheck {
  const body = (input !== null && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const fields: Record<string, string> = {};
  const name = (key: 'firstName' | 'lastName', what: string): string => {
    const value = typeof body[key] === 'string' ? (body[key] as string).trim() : '';
    if (value === '') fields[key] = `Enter your ${what}.`;
    else if ([...value].length > NAME_MAX_LENGTH) fields[key] = `Your ${what} can have at most ${NAME_MAX_LENGTH} characters.`;
    else if (CONTROL.test(value)) fields[key] = `Your ${what} cannot hold control characters.`;
    return value;
  };
  const firstName = name('firstName', 'first name');
  const lastName = name('lastName', 'last name');
  let email = typeof body.email === 'string' ? body.email.trim() : '';
  if (email === '') {
    fields.email = 'Enter your email address.';
  } else {
    try {
      email = normalizeEmailAddress(email);
    } catch {
      fields.email = 'Enter an email address like name@example.org (no spaces, no accented letters).';
    }
  }
  let hostNames: readonly string[] | undefined;
  if (options.hostNames === true) {
    const checked = checkHostNames(body.hostNames, options.domains);
    if (checked.ok) hostNames = checked.names;
    else fields.hostNames = checked.message;
  }
  if (Object.keys(fields).length > 0) return { ok: false, fields };
  return { ok: true, details: { firstName, lastName, email, ...(hostNames === undefined ? {} : { hostNames }) } };
}
