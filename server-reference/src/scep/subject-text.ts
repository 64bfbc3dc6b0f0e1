/**
 * The RFC 4514 text of a subject as an operator types it (`CN=device1, O=Example`), read into
 * attributes and written back in one canonical form (pki's formatName), so that a PIN's subject
 * and a CSR's subject compare as names, not as spellings (spaces, `cn` vs `CN`, `E` vs
 * `emailAddress`).
 */
import { type DistinguishedName, NAME_ATTRIBUTE_TYPES, formatName } from '@certwizard/pki';
import { ScepPinInputError } from './errors.js';

const TYPE_BY_LOWER = new Map<string, string>([...NAME_ATTRIBUTE_TYPES.map((t): [string, string] => [t.toLowerCase(), t]), ['e', 'emailAddress']]);

/** Splits on `separator` where it is not escaped by a backslash. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1];
      i += 1;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/** RFC 4514 §2.4 escapes: `\,` and `\2C` both mean ','. */
function unescapeValue(value: string): string {
  return value.replace(/\\([0-9a-fA-F]{2}|.)/g, (_m, e: string) => (e.length === 2 ? String.fromCharCode(parseInt(e, 16)) : e));
}

/**
 * Reads RFC 4514 subject text (single-valued RDNs, known short names) into a name.
 * @throws {ScepPinInputError} `ERR_SCEP_PIN_INVALID` for text that is not such a name.
 * @example
 * parseSubjectText('cn=device1,O=Example'); // [{ type: 'CN', value: 'device1' }, { type: 'O', value: 'Example' }]
 */
export function parseSubjectText(text: string): DistinguishedName {
  if (text.length > 1024) throw new ScepPinInputError('the subject is longer than 1024 characters');
  return splitUnescaped(text, ',').map((rdn) => {
    // A '+' starting another `type=` is a multi-valued RDN; any other '+' (ada+ca@example.org,
    // typed by a person without RFC 4514's escape) is part of the value.
    if (
      splitUnescaped(rdn, '+')
        .slice(1)
        .some((part) => /^\s*[A-Za-z][A-Za-z0-9-]*\s*=/.test(part))
    ) {
      throw new ScepPinInputError('a subject with multi-valued RDNs (+) is not supported');
    }
    const [rawType, ...rest] = splitUnescaped(rdn, '=');
    const type = TYPE_BY_LOWER.get((rawType ?? '').trim().toLowerCase());
    const value = unescapeValue(rest.join('=').trim());
    if (type === undefined || rest.length === 0 || value === '') {
      throw new ScepPinInputError(`the subject is not RFC 4514 text of known attributes (C, ST, L, O, OU, CN, emailAddress): ${JSON.stringify(rdn.trim())}`);
    }
    return { type, value };
  });
}

/**
 * The canonical text of a subject: {@link parseSubjectText} then formatName.
 * @throws {ScepPinInputError} `ERR_SCEP_PIN_INVALID`.
 * @example
 * canonicalSubject('cn=device1,o=Example'); // 'CN=device1, O=Example'
 */
export function canonicalSubject(text: string): string {
  return formatName(parseSubjectText(text));
}
