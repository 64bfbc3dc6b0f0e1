/**
 * Domain names as an account holds them (docs/protocol.md, "Domains of an account"): one
 * normalisation and one set of refusals shared by the CA and the SDK, so that both ends agree on
 * what `Example.ORG.` is and on what can never be a domain of an account. Pure: no DNS, no I/O.
 *
 * A domain is stored and compared in its ASCII form (A-labels, RFC 5890 §2.3.2.1); the Unicode
 * form (U-labels) is kept for display only. The conversion is WHATWG URL's domain-to-ASCII
 * (UTS #46, non-transitional), the one Node's `node:url` and every browser apply.
 */
import { isIP } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import { parse as parseHost } from 'tldts';
import { ProtocolError } from './errors.js';

/**
 * Why a text is not a domain an account may hold. Reasons are API: added, never renamed.
 *
 * - `empty`: nothing left after trimming and dropping the trailing dot;
 * - `too_long`: more than 253 octets in ASCII form (RFC 1035 §2.3.4, without the root's dot);
 * - `label_too_long`: a label over 63 octets in ASCII form (RFC 1035 §2.3.4);
 * - `bad_character`: anything but letters, digits, hyphens and dots; an empty label; a label
 *   starting or ending with a hyphen (RFC 5891 §4.2.3.1, RFC 952's host names as RFC 1123
 *   §2.1 relaxes them); an underscore (a service label, never a host);
 * - `invalid_idn`: a U-label UTS #46 refuses, or an A-label (`xn--`) that is not valid Punycode;
 * - `single_label`: no dot: a resolver's search list completes such a name inside some network;
 * - `localhost`: `localhost` or a name below it (RFC 6761 §6.3: the host itself);
 * - `ip_address`: an IPv4 or IPv6 literal, also in the forms URL parsers read as IPv4 (`1.2.3`, `0x7f.1`);
 * - `wildcard`: a `*` label: a domain is verified as itself, wildcards are a certificate's matter;
 * - `public_suffix`: a public suffix of the Public Suffix List, ICANN or private section
 *   (`com`, `co.uk`, `github.io`): nobody holds one for everybody below it.
 */
export type DomainNameRefusal =
  'empty' | 'too_long' | 'label_too_long' | 'bad_character' | 'invalid_idn' | 'single_label' | 'localhost' | 'ip_address' | 'wildcard' | 'public_suffix';

/** Every {@link DomainNameRefusal}, in the order the checks run. */
export const DOMAIN_NAME_REFUSALS: readonly DomainNameRefusal[] = [
  'empty',
  'wildcard',
  'ip_address',
  'bad_character',
  'invalid_idn',
  'too_long',
  'label_too_long',
  'single_label',
  'localhost',
  'public_suffix',
];

/** A text that is not a domain an account may hold; {@link InvalidDomainNameError.reason} says why. */
export class InvalidDomainNameError extends ProtocolError {
  override readonly code = 'ERR_PROTOCOL_INVALID_DOMAIN_NAME';
  /** Why; stable, see {@link DomainNameRefusal}. */
  readonly reason: DomainNameRefusal;
  constructor(reason: DomainNameRefusal, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A domain in both forms. */
export interface DomainName {
  /** ASCII form, lower case, A-labels, no trailing dot: what is stored, compared and sent. */
  readonly ascii: string;
  /** Unicode form (U-labels), for display; equal to `ascii` for a name without IDN labels. */
  readonly unicode: string;
}

/** At most 253 octets: 255 on the wire less the length octet and the root (RFC 1035 §2.3.4). */
export const DOMAIN_NAME_MAX_LENGTH = 253;

/** At most 63 octets per label (RFC 1035 §2.3.4). */
export const DOMAIN_LABEL_MAX_LENGTH = 63;

/**
 * The local parts of a domain's administrative addresses, as CAs have used them to verify a
 * domain by mail (CA/Browser Forum Baseline Requirements §3.2.2.4.4: admin, administrator,
 * webmaster, hostmaster, postmaster; RFC 2142 §4-5 names postmaster, hostmaster, webmaster) plus
 * `root`, which CAcert accepts. An address is administrative only at the domain itself.
 */
export const ADMINISTRATIVE_LOCAL_PARTS = ['postmaster', 'hostmaster', 'webmaster', 'admin', 'root'] as const;

/** One of {@link ADMINISTRATIVE_LOCAL_PARTS}. */
export type AdministrativeLocalPart = (typeof ADMINISTRATIVE_LOCAL_PARTS)[number];

/** Letters (any script, with their marks), digits, hyphens and dots: what a host name may be typed with. */
const TYPED_CHARACTERS = /^[\p{L}\p{M}\p{N}.-]+$/u;

/** One label in ASCII form: letters, digits, inner hyphens (RFC 1123 §2.1). */
const ASCII_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Normalises a domain: trims, drops one trailing dot (the root), lower-cases, converts U-labels
 * to A-labels, and refuses what cannot be a domain of an account.
 * @param input - the domain as typed or sent (`Bücher.Example.`, `xn--bcher-kva.example`).
 * @returns both forms.
 * @throws {InvalidDomainNameError} `ERR_PROTOCOL_INVALID_DOMAIN_NAME` with a {@link DomainNameRefusal}.
 * @throws {TypeError} when `input` is not a string.
 * @example
 * normalizeDomainName(' Bücher.Example. '); // { ascii: 'xn--bcher-kva.example', unicode: 'bücher.example' }
 * normalizeDomainName('co.uk'); // throws, reason 'public_suffix'
 */
export function normalizeDomainName(input: string): DomainName {
  const ascii = hostToAscii(input);
  // tldts applies the list's rules, and its default rule `*` to unknown TLDs: `examplemail.test`
  // is a registrable domain under the suffix `test`, `test` alone is a suffix.
  if (parseHost(ascii, { allowPrivateDomains: true }).domain === null) {
    throw new InvalidDomainNameError('public_suffix', `${ascii} is a public suffix: nobody holds it for everyone below it`);
  }
  return { ascii, unicode: domainToUnicode(ascii) || ascii };
}

/**
 * Whether `input` is a domain an account may hold ({@link normalizeDomainName} would not throw).
 * @example
 * isValidDomainName('examplemail.test'); // true
 * isValidDomainName('github.io'); // false
 */
export function isValidDomainName(input: string): boolean {
  try {
    normalizeDomainName(input);
    return true;
  } catch (err) {
    if (err instanceof InvalidDomainNameError) return false;
    throw err;
  }
}

/**
 * The registrable domain of a host name (its public suffix and one label more): the domain an
 * installer adds to verify names such as `mail.example.org`.
 * @returns the ASCII form, or `undefined` when the name has none (it is a public suffix, or not a host name).
 * @example
 * registrableDomainOf('mail.examplemail.test'); // 'examplemail.test'
 * registrableDomainOf('www.example.co.uk'); // 'example.co.uk'
 */
export function registrableDomainOf(hostName: string): string | undefined {
  let ascii: string;
  try {
    ascii = hostToAscii(hostName);
  } catch (err) {
    if (err instanceof InvalidDomainNameError) return undefined;
    throw err;
  }
  return parseHost(ascii, { allowPrivateDomains: true }).domain ?? undefined;
}

/**
 * Whether `name` is `domain` itself or a name below it, label by label (`mail.example.org` is
 * within `example.org`; `badexample.org` and `example.org.evil` are not). Both are compared in
 * ASCII form, case-insensitively, a trailing dot ignored. A wildcard name (`*.example.org`) is
 * never within: it is not a host name.
 * @returns false as well when either is not a host name.
 * @example
 * isNameWithinDomain('MAIL.Example.org.', 'example.org'); // true
 * isNameWithinDomain('mail.bücher.example', 'xn--bcher-kva.example'); // true
 * isNameWithinDomain('badexample.org', 'example.org'); // false
 */
export function isNameWithinDomain(name: string, domain: string): boolean {
  const n = looseAscii(name);
  const d = looseAscii(domain);
  if (n === undefined || d === undefined) return false;
  return n === d || n.endsWith(`.${d}`);
}

/**
 * The administrative addresses of a domain, in the order of {@link ADMINISTRATIVE_LOCAL_PARTS}.
 * @param domain - a normalised domain (ASCII form).
 * @example
 * administrativeAddresses('example.org'); // ['postmaster@example.org', 'hostmaster@example.org', ...]
 */
export function administrativeAddresses(domain: string): string[] {
  return ADMINISTRATIVE_LOCAL_PARTS.map((local) => `${local}@${domain}`);
}

/**
 * Whether `address` is one of `domain`'s administrative addresses: a local part of
 * {@link ADMINISTRATIVE_LOCAL_PARTS} (any case) at exactly the domain (in either form, any case,
 * a trailing dot ignored); an address at a subdomain or at another domain is not.
 * @example
 * isAdministrativeAddress('Postmaster@Example.org', 'example.org'); // true
 * isAdministrativeAddress('postmaster@mail.example.org', 'example.org'); // false
 * isAdministrativeAddress('ada@example.org', 'example.org'); // false
 */
export function isAdministrativeAddress(address: string, domain: string): boolean {
  const at = address.lastIndexOf('@');
  if (at <= 0) return false;
  const local = address.slice(0, at).toLowerCase();
  if (!(ADMINISTRATIVE_LOCAL_PARTS as readonly string[]).includes(local)) return false;
  const addressDomain = looseAscii(address.slice(at + 1));
  return addressDomain !== undefined && addressDomain === looseAscii(domain);
}

/**
 * Trims, drops one trailing dot, converts to ASCII and applies every check but the public
 * suffix one; the host-name half of {@link normalizeDomainName}.
 */
function hostToAscii(input: string): string {
  if (typeof input !== 'string') throw new TypeError('a domain name must be a string');
  const typed = input.trim().replace(/\.$/, '');
  if (typed === '') throw new InvalidDomainNameError('empty', 'the domain name is empty');
  if (typed.split('.').includes('*')) throw new InvalidDomainNameError('wildcard', 'a domain name has no wildcard label');
  if (isIP(typed.replace(/^\[(.*)\]$/, '$1')) !== 0) throw new InvalidDomainNameError('ip_address', 'an IP address is not a domain name');
  // Checked before the conversion: URL's host parser would percent-decode (`ex%41mple`) and map
  // other punctuation, turning text that is no host name into one.
  if (!TYPED_CHARACTERS.test(typed)) {
    throw new InvalidDomainNameError('bad_character', 'a domain name has only letters, digits, hyphens and dots');
  }
  const ascii = domainToASCII(typed.toLowerCase());
  if (ascii === '') throw new InvalidDomainNameError('invalid_idn', 'the domain name is not a valid internationalised name (UTS #46, Punycode)');
  // URL parsers read `1.2.3` and `0x7f.1` as IPv4 addresses; so does the resolver of many a system.
  if (isIP(ascii) !== 0) throw new InvalidDomainNameError('ip_address', 'an IP address is not a domain name');
  if (ascii.length > DOMAIN_NAME_MAX_LENGTH) {
    throw new InvalidDomainNameError('too_long', `a domain name has at most ${DOMAIN_NAME_MAX_LENGTH} characters in ASCII form`);
  }
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label.length > DOMAIN_LABEL_MAX_LENGTH) {
      throw new InvalidDomainNameError('label_too_long', `a label has at most ${DOMAIN_LABEL_MAX_LENGTH} characters in ASCII form`);
    }
    if (!ASCII_LABEL.test(label)) {
      throw new InvalidDomainNameError('bad_character', 'every label is letters, digits and inner hyphens, and none is empty');
    }
  }
  if (labels.length < 2) throw new InvalidDomainNameError('single_label', 'a domain name has at least two labels (a dot)');
  if (labels[labels.length - 1] === 'localhost') {
    throw new InvalidDomainNameError('localhost', 'localhost and the names below it are the host itself (RFC 6761 §6.3)');
  }
  return ascii;
}

/** The ASCII form of a host name for comparison, or undefined when it is none. */
function looseAscii(name: string): string | undefined {
  try {
    return hostToAscii(name);
  } catch (err) {
    if (err instanceof InvalidDomainNameError || err instanceof TypeError) return undefined;
    throw err;
  }
}
