/**
 * The server's host names, as the details step takes them: each normalised as the CA will read
 * it (`@certwizard/protocol`'s domain rules, so that the page refuses what the CA would refuse)
 * and paired with the domain the CA verifies for it (the longest of the vendor's `domains` that
 * covers it, else its registrable domain: what `enroll()` verifies). The page cannot apply these rules itself (they need the Public Suffix
 * List and `node:url`), so it asks the server through `POST /api/host-names`.
 */
import { InvalidDomainNameError, isNameWithinDomain, normalizeDomainName, registrableDomainOf, type DomainNameRefusal } from '@certwizard/protocol';
import type { CheckedHostName } from './wire.js';

/** Most host names one certificate may carry here: a mail or web server has a handful, not hundreds. */
export const HOST_NAMES_MAX = 20;

/** What a person reads for each refusal of {@link normalizeDomainName}; never quotes the input. */
const REFUSALS: Readonly<Record<DomainNameRefusal, string>> = {
  empty: 'Enter a host name.',
  too_long: 'A host name can have at most 253 characters.',
  label_too_long: 'Each part between dots can have at most 63 characters.',
  bad_character: 'Use letters, digits, hyphens and dots only (no spaces, no "_", no empty part between dots).',
  invalid_idn: 'This international name is not valid.',
  single_label: 'Enter the full name with its domain, like mail.example.org.',
  localhost: 'localhost is this machine only; enter the name others reach the server by.',
  ip_address: 'Enter a name, not an IP address.',
  wildcard: 'Enter each name itself; "*" names are not offered here.',
  public_suffix: 'This is a public suffix (like co.uk); enter a name inside your own domain.',
};

/**
 * Checks one host name as typed.
 * @param domains - the vendor's `enroll.domains`: the name must lie within one, whose longest
 *   covering one is verified. Default: the name's registrable domain.
 * @returns the name in both forms with the domain the CA verifies, or the reason the CA would refuse it.
 * @example
 * checkHostName(' Mail.ExampleMail.test. ');
 * // { input: ' Mail.ExampleMail.test. ', ok: true, name: 'mail.examplemail.test', unicode: 'mail.examplemail.test', domain: 'examplemail.test', domainUnicode: 'examplemail.test' }
 */
export function checkHostName(input: string, domains?: readonly string[]): CheckedHostName {
  try {
    const name = normalizeDomainName(input);
    let chosen: string | undefined;
    if (domains === undefined) {
      // normalizeDomainName accepted it, so it lies below a public suffix: it has a registrable domain.
      chosen = registrableDomainOf(name.ascii) ?? name.ascii;
    } else {
      chosen = domains.filter((d) => isNameWithinDomain(name.ascii, d)).sort((a, b) => b.length - a.length)[0];
      if (chosen === undefined) {
        return { input, ok: false, reason: 'outside_domains', message: `Enter a name within ${domains.join(', ')}: the domains this installer verifies.` };
      }
    }
    const domain = normalizeDomainName(chosen);
    return { input, ok: true, name: name.ascii, unicode: name.unicode, domain: domain.ascii, domainUnicode: domain.unicode };
  } catch (error) {
    if (error instanceof InvalidDomainNameError) return { input, ok: false, reason: error.reason, message: REFUSALS[error.reason] };
    throw error;
  }
}

/** What {@link checkHostNames} found: the names in ASCII form, or one message for the field. */
export type HostNamesCheck =
  | { readonly ok: true; readonly names: readonly string[]; readonly checked: readonly CheckedHostName[] }
  | { readonly ok: false; readonly message: string; readonly checked: readonly CheckedHostName[] };

/**
 * Checks the host-name list of `POST /api/details`: 1 to {@link HOST_NAMES_MAX} names, each
 * valid ({@link checkHostName}, with the vendor's `domains`), no name twice (after normalisation).
 * @example
 * checkHostNames(['mail.examplemail.test']); // { ok: true, names: ['mail.examplemail.test'], checked: [...] }
 */
export function checkHostNames(input: unknown, domains?: readonly string[]): HostNamesCheck {
  if (!Array.isArray(input) || !input.every((n) => typeof n === 'string')) return { ok: false, message: 'Enter the server’s host names.', checked: [] };
  const typed = (input as string[]).filter((n) => n.trim() !== '');
  if (typed.length === 0) return { ok: false, message: 'Enter at least one host name.', checked: [] };
  if (typed.length > HOST_NAMES_MAX) return { ok: false, message: `Enter at most ${HOST_NAMES_MAX} host names.`, checked: [] };
  const checked = typed.map((n) => checkHostName(n, domains));
  const bad = checked.find((c) => !c.ok);
  if (bad !== undefined && !bad.ok) return { ok: false, message: `${bad.input.trim().slice(0, 80)}: ${bad.message}`, checked };
  const names = checked.flatMap((c) => (c.ok ? [c.name] : []));
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) return { ok: false, message: `${twice} is listed twice.`, checked };
  return { ok: true, names, checked };
}
