/**
 * The one browser that may use the wizard: the installer hands out a URL with a one-time token
 * (256 bits); its first use turns it into a session cookie (another 256-bit secret) and the
 * token is dead. Compared in constant time; neither value is ever logged.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** The session of one wizard. */
export class WizardSession {
  /** The one-time token for the URL's `t` parameter (base64url of 32 random bytes). */
  readonly token: string;
  /** The cookie's name; holds the port, since cookies are shared by every port of a host. */
  readonly cookieName: string;
  #tokenUsed = false;
  #sessionId: Buffer | undefined;

  constructor(port: number) {
    this.token = randomBytes(32).toString('base64url');
    this.cookieName = `certwizard_wizard_${port}`;
  }

  /**
   * Trades the token for the session: returns the `Set-Cookie` value the first time the right
   * token is given, undefined for a wrong token and for every later use.
   */
  redeem(candidate: string): string | undefined {
    if (this.#tokenUsed || !sameSecret(candidate, this.token)) return undefined;
    this.#tokenUsed = true;
    const id = randomBytes(32).toString('base64url');
    this.#sessionId = Buffer.from(id, 'utf8');
    // Session cookie (no Max-Age); HttpOnly keeps it from the page's script; Strict keeps it off
    // requests other sites start; no Secure, since the wizard is plain HTTP on loopback.
    return `${this.cookieName}=${id}; Path=/; HttpOnly; SameSite=Strict`;
  }

  /** Whether a `Cookie` header carries the session. */
  accepts(cookieHeader: string | undefined): boolean {
    if (this.#sessionId === undefined || cookieHeader === undefined) return false;
    for (const part of cookieHeader.split(';')) {
      const eq = part.indexOf('=');
      if (eq === -1 || part.slice(0, eq).trim() !== this.cookieName) continue;
      const value = Buffer.from(part.slice(eq + 1).trim(), 'utf8');
      if (value.length === this.#sessionId.length && timingSafeEqual(value, this.#sessionId)) return true;
    }
    return false;
  }
}

function sameSecret(candidate: string, secret: string): boolean {
  const a = Buffer.from(candidate, 'utf8');
  const b = Buffer.from(secret, 'utf8');
  // Only the length can differ in time, and the length (43) is public.
  return a.length === b.length && timingSafeEqual(a, b);
}
