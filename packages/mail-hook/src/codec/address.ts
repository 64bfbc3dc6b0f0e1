/**
 * Mail addresses as the hook compares them. One rule everywhere (nonce book, envelope, headers):
 * the whole address is lower-cased. RFC 5321 §2.4 lets a server treat local parts as
 * case-sensitive, but no mail server in use does, and the CA lower-cases what it verifies; a
 * nonce bound to `Alice@Example.org` therefore answers a ping to `alice@example.org`. Addresses
 * are not otherwise rewritten: no IDNA conversion, no removal of `+tags` or dots, no quoting
 * rules. A ping whose addresses are spelled differently in another way is simply not answered.
 */

/** Longest address accepted, in characters (RFC 5321 §4.5.3.1.3 path limit less the brackets). */
export const MAX_ADDRESS_LENGTH = 254;

// One `@`; no whitespace, control characters, angle brackets or characters that would need
// quoting; a domain of dot-separated labels (or, in an address, an address literal in brackets).
const LOCAL_PART = String.raw`[^\s@<>()[\]\\,;:"\u0000-\u001f\u007f]+`;
const LABEL = String.raw`[^\s@<>()[\]\\,;:"\u0000-\u001f\u007f.]+`;
const DOMAIN = String.raw`${LABEL}(?:\.${LABEL})*`;
const ADDRESS_PATTERN = new RegExp(String.raw`^${LOCAL_PART}@(?:${DOMAIN}|\[[^\s\]]+\])$`, 'u');
const DOMAIN_PATTERN = new RegExp(`^${DOMAIN}$`, 'u');

/**
 * The comparison form of `address` (lower-cased), or `undefined` when it is not a plain
 * `local@domain` address of at most {@link MAX_ADDRESS_LENGTH} characters.
 */
export function normalizeAddress(address: string): string | undefined {
  if (typeof address !== 'string' || address.length === 0 || address.length > MAX_ADDRESS_LENGTH) return undefined;
  if (!ADDRESS_PATTERN.test(address)) return undefined;
  return address.toLowerCase();
}

/**
 * The comparison form of a domain name (lower-cased, compared whole: a subdomain is another
 * domain), or `undefined` when it is not dot-separated labels as in an address this module
 * accepts (no address literal, no trailing dot), of at most 253 characters.
 */
export function normalizeDomain(domain: string): string | undefined {
  if (typeof domain !== 'string' || domain.length === 0 || domain.length > 253) return undefined;
  if (!DOMAIN_PATTERN.test(domain)) return undefined;
  return domain.toLowerCase();
}

/**
 * The domain of an envelope address as a server sees it, lower-cased: what follows the last `@`
 * (so a source route `@relay:user@domain` names its final domain), or `undefined` when there is
 * no `@`.
 */
export function domainOfAddress(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  return at === -1 ? undefined : address.slice(at + 1).toLowerCase();
}
