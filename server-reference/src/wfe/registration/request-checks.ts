/**
 * Small checks shared by the CA's form handlers: same-origin posts, constant-time token
 * comparison, the key a client is rate-limited under, the raw query and cookies.
 */
import { timingSafeEqual } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Request } from 'express';

/**
 * Whether a POST may be from one of the CA's own pages: an `Origin` header, when the browser
 * sends one, must equal the public URL's origin. Without one (old browsers, non-browser
 * clients) the CSRF token and SameSite=Strict cookie still protect the account area.
 * @example
 * if (!isSameOriginPost(req, 'https://ca.example')) return forbidden();
 */
export function isSameOriginPost(req: Request, publicOrigin: string): boolean {
  const origin = req.headers.origin;
  return origin === undefined || origin === publicOrigin;
}

/**
 * Compares a submitted secret with the expected one in constant time.
 * @example
 * tokensEqual(form.get('csrf'), session.csrfToken);
 */
export function tokensEqual(given: string | null | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The client's address as the CA saw it (IPv4-mapped IPv6 written as IPv4), for what the
 * confirmation page says about where a registration began; `unknown` when the socket has none.
 * @example
 * remoteAddress(req); // '203.0.113.5'
 */
export function remoteAddress(req: Request): string {
  return (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '').slice(0, 64);
}

/**
 * The key a client is rate-limited under: its IPv4 address, or the /64 of its IPv6 address
 * (one host usually holds a whole /64).
 * @example
 * limiter.take(clientKey(req));
 */
export function clientKey(req: Request): string {
  const ip = remoteAddress(req);
  if (!isIPv6(ip)) return ip;
  const groups = expandIPv6(ip);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

function expandIPv6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  return [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
}

/**
 * The query of the request as URLSearchParams, not express's parsed object: repeated names stay
 * visible, so a handler can refuse them.
 * @example
 * queryParams(req).getAll('token');
 */
export function queryParams(req: Request): URLSearchParams {
  const i = req.originalUrl.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : req.originalUrl.slice(i + 1));
}

/**
 * The value of one cookie of the request, or undefined.
 * @example
 * cookieValue(req, 'certwizard_session');
 */
export function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}
