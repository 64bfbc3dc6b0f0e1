/**
 * Headers on every answer of the wizard server. The CSP allows the app's own files only: no
 * inline script or style, no eval, images from itself or `data:`, connections to itself; no
 * framing, no `<base>`, forms only to itself.
 */

/** The Content-Security-Policy of every page and API answer. */
export const WIZARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** The CSP of the vendor's logo: an SVG opened on its own gets no script and no origin. */
export const LOGO_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/** Sent with every answer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': WIZARD_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // Nothing the wizard answers may be kept: pages and API answers alike hold the person's data.
  'Cache-Control': 'no-store',
});
