/**
 * The CA origin the hook is pinned to: the only place it ever sends a request, and the only
 * origin a genuine ping may link to.
 */
import { isIP } from 'node:net';

/**
 * The origin (`https://ca.example`, `http://127.0.0.1:8025`) of `text`, or `undefined` when
 * `text` is not a bare origin: it must parse as a URL with scheme https (or http for a loopback
 * host: 127.0.0.0/8, ::1, `localhost`), no user or password, and no path, query or fragment
 * beyond a single `/`.
 */
export function parseCaOrigin(text: string): string | undefined {
  if (typeof text !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || url.pathname !== '/') return undefined;
  if (text.includes('?') || text.includes('#')) return undefined;
  if (url.protocol === 'https:') return url.origin;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url.origin;
  return undefined;
}

/** Whether a URL hostname (as `URL.hostname` spells it) names this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = unbracket(hostname).toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Whether a URL hostname is a loopback, private, link-local, shared or unspecified address
 * literal, or a `localhost` name: a place a mail from outside has no business sending anyone.
 * Used to name the refusal in the log; every link off the pinned origin is refused anyway.
 */
export function isPrivateHost(hostname: string): boolean {
  if (isLoopbackHost(hostname)) return true;
  const host = unbracket(hostname).toLowerCase();
  if (isIP(host) === 4) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    return (
      a === 0 || a === 10 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
    );
  }
  if (isIP(host) === 6) {
    if (host === '::') return true;
    // IPv4-mapped (::ffff:a.b.c.d, which URL spells ::ffff:XXXX:XXXX) is judged by its IPv4 part.
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (mapped) {
      const high = parseInt(mapped[1] ?? '0', 16);
      const low = parseInt(mapped[2] ?? '0', 16);
      return isPrivateHost(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
    }
    const first = parseInt(host.split(':')[0] || '0', 16);
    // fc00::/7 unique local, fe80::/10 link-local
    return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
  }
  return false;
}

function unbracket(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}
