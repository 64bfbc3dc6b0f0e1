/**
 * Which addresses the CA sends an email ping to on an installation's request: only those at a
 * domain of the public DNS.
 */
import { isIP } from 'node:net';

/**
 * Whether the domain of `address` (already normalised: domain in lower case) is one the public
 * DNS can answer for, so that a ping to it leaves the CA's own host and network. Refused:
 * `localhost` and every name below it (RFC 6761 §6.3: they resolve to the host itself), a
 * single-label domain (a resolver's search list completes it inside the CA's network), and an
 * address literal or a bare IP address (`user@[127.0.0.1]`, RFC 5321 §4.1.3: no DNS at all).
 * @example
 * isPublicMailDomain('ada@example.net'); // true
 * isPublicMailDomain('root@mail.localhost'); // false
 */
export function isPublicMailDomain(address: string): boolean {
  const domain = address
    .slice(address.lastIndexOf('@') + 1)
    .toLowerCase()
    .replace(/\.$/, '');
  if (domain.startsWith('[') || isIP(domain) !== 0) return false;
  if (domain === 'localhost' || domain.endsWith('.localhost')) return false;
  return domain.includes('.');
}
