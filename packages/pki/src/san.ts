/**
 * Subject alternative names (RFC 5280 §4.2.1.6): DNS names, email addresses and IP addresses,
 * validated and normalised so that the CA can compare them with what it has approved.
 */
import { isIP } from 'node:net';
import { GeneralName, GeneralNames } from '@peculiar/asn1-x509';
import { InvalidNameError, TooManyNamesError } from './errors.js';
import { MAX_SUBJECT_ALT_NAMES } from './limits.js';

/** The names a certificate or request is for. Every list is deduplicated and normalised. */
export interface SubjectAltNames {
  /** DNS names in lower case; a leading `*.` label is a wildcard. */
  readonly dns: readonly string[];
  /** rfc822Name addresses; the domain part in lower case. */
  readonly email: readonly string[];
  /** IPv4 dotted-quad or canonical IPv6 text. */
  readonly ip: readonly string[];
}

/** Names as a caller may give them: any list may be left out. */
export type SubjectAltNamesInput = Partial<SubjectAltNames>;

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/**
 * Normalises and checks a DNS name: LDH labels of 1 to 63 characters, at most 253 in all, no
 * trailing dot, A-labels for internationalised names, and a wildcard only as the whole
 * left-most label (RFC 6125 §6.4.3 as the CA/B Forum narrows it).
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME`.
 */
export function normalizeDnsName(name: string, options: { allowWildcard?: boolean } = {}): string {
  if (typeof name !== 'string') throw new InvalidNameError('a DNS name must be a string');
  // Check ASCII first: toLowerCase folds some non-ASCII letters (U+212A KELVIN SIGN) into ASCII.
  if (!/^[\x21-\x7e]*$/.test(name)) {
    throw new InvalidNameError(`DNS name ${JSON.stringify(name)} must be ASCII (use A-labels, xn--)`);
  }
  const lower = name.toLowerCase();
  if (lower.length === 0 || lower.length > 253) throw new InvalidNameError(`DNS name ${JSON.stringify(name)} has a bad length`);
  const labels = lower.split('.');
  const wildcard = labels[0] === '*';
  if (wildcard && (options.allowWildcard === false || labels.length < 3)) {
    throw new InvalidNameError(`wildcard DNS name ${JSON.stringify(name)} is not allowed here`);
  }
  for (const label of wildcard ? labels.slice(1) : labels) {
    if (!LABEL.test(label)) throw new InvalidNameError(`DNS name ${JSON.stringify(name)} is not a valid host name`);
  }
  if (isIP(lower)) throw new InvalidNameError(`${JSON.stringify(name)} is an IP address, not a DNS name`);
  return lower;
}

/**
 * Normalises and checks an email address for an rfc822Name (RFC 5280 §4.2.1.6: ASCII
 * `local-part@domain`, no SMTPUTF8): the local part is kept as given, the domain lower-cased.
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME`.
 */
export function normalizeEmailAddress(address: string): string {
  if (typeof address !== 'string') throw new InvalidNameError('an email address must be a string');
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (at <= 0 || address.length > 254 || local.length > 64 || !LOCAL_PART.test(local)) {
    throw new InvalidNameError(`${JSON.stringify(address)} is not a valid email address`);
  }
  try {
    return `${local}@${normalizeDnsName(domain, { allowWildcard: false })}`;
  } catch {
    throw new InvalidNameError(`${JSON.stringify(address)} is not a valid email address`);
  }
}

/**
 * Normalises an IPv4 or IPv6 address to its canonical text (IPv6 compressed, lower case).
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME`.
 */
export function normalizeIpAddress(ip: string): string {
  // Zone identifiers (fe80::1%eth0) are local to one host and have no place in a certificate.
  const version = typeof ip === 'string' && !ip.includes('%') ? isIP(ip) : 0;
  if (version === 4) return ip;
  if (version === 6) return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  throw new InvalidNameError(`${JSON.stringify(ip)} is not an IP address`);
}

/**
 * Validates, normalises and deduplicates a set of names.
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME` for any malformed name.
 * @throws {TooManyNamesError} `ERR_PKI_TOO_MANY_SANS` for more than 100 names in all.
 */
export function normalizeSubjectAltNames(input: SubjectAltNamesInput): SubjectAltNames {
  const dns = [...new Set((input.dns ?? []).map((n) => normalizeDnsName(n)))];
  const email = [...new Set((input.email ?? []).map(normalizeEmailAddress))];
  const ip = [...new Set((input.ip ?? []).map(normalizeIpAddress))];
  const total = dns.length + email.length + ip.length;
  if (total > MAX_SUBJECT_ALT_NAMES) {
    throw new TooManyNamesError(`${total} subject alternative names; at most ${MAX_SUBJECT_ALT_NAMES} are allowed`);
  }
  return { dns, email, ip };
}

/** Counts the names in a set. */
export function countNames(names: SubjectAltNames): number {
  return names.dns.length + names.email.length + names.ip.length;
}

/** Whether every name of `inner` is also in `outer`. Both must be normalised. */
export function isSubsetOf(inner: SubjectAltNames, outer: SubjectAltNames): boolean {
  return inner.dns.every((n) => outer.dns.includes(n)) && inner.email.every((n) => outer.email.includes(n)) && inner.ip.every((n) => outer.ip.includes(n));
}

/** Encodes names as GeneralNames, DNS first, then email, then IP. */
export function encodeSubjectAltNames(names: SubjectAltNames): GeneralNames {
  return new GeneralNames([
    ...names.dns.map((dNSName) => new GeneralName({ dNSName })),
    ...names.email.map((rfc822Name) => new GeneralName({ rfc822Name })),
    ...names.ip.map((iPAddress) => new GeneralName({ iPAddress })),
  ]);
}

/**
 * Decodes GeneralNames from a request or certificate, checking every name.
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME` for malformed names or name types other than
 *   dNSName, rfc822Name and iPAddress (refused rather than silently dropped).
 * @throws {TooManyNamesError} `ERR_PKI_TOO_MANY_SANS` past 100 names.
 */
export function decodeSubjectAltNames(names: GeneralNames): SubjectAltNames {
  if (names.length > MAX_SUBJECT_ALT_NAMES) {
    throw new TooManyNamesError(`${names.length} subject alternative names; at most ${MAX_SUBJECT_ALT_NAMES} are allowed`);
  }
  const dns: string[] = [];
  const email: string[] = [];
  const ip: string[] = [];
  for (const gn of names) {
    if (gn.dNSName !== undefined) dns.push(gn.dNSName);
    else if (gn.rfc822Name !== undefined) email.push(gn.rfc822Name);
    else if (gn.iPAddress !== undefined) ip.push(gn.iPAddress);
    else {
      const kind = Object.keys(gn).find((k) => (gn as unknown as Record<string, unknown>)[k] !== undefined) ?? 'unknown';
      throw new InvalidNameError(`subjectAltName of type ${kind} is not supported`);
    }
  }
  return normalizeSubjectAltNames({ dns, email, ip });
}
