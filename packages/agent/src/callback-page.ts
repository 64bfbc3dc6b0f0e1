/**
 * The page the user's browser shows after a callback: tiny static HTML, no script, no style, no
 * link, so that the strict Content-Security-Policy below can forbid everything.
 */

/** The texts of the page; plain text, HTML-escaped when rendered. */
export interface CallbackPageTexts {
  /** The `<title>` and heading. */
  readonly title: string;
  /** Shown after a valid `continue` callback. */
  readonly continueText: string;
  /** Shown after a valid `error` callback. */
  readonly errorText: string;
  /** Shown when a valid callback arrives after the first one (a reload, a second tab). */
  readonly alreadyReceivedText: string;
}

/** The default English texts. */
export const DEFAULT_CALLBACK_PAGE_TEXTS: CallbackPageTexts = Object.freeze({
  title: 'Certificate wizard',
  continueText: 'Registration is complete. You can close this tab and return to the installer.',
  errorText: 'Registration did not complete. Return to the installer to see what to do next.',
  alreadyReceivedText: 'The installer already has its answer. You can close this tab and return to the installer.',
});

/** Longest text accepted in {@link CallbackPageTexts}, in UTF-16 code units. */
export const CALLBACK_PAGE_TEXT_MAX_LENGTH = 1000;

/**
 * Headers sent with every answer of the agent, pages and refusals alike. The CSP allows nothing
 * at all (no inline style either: the page is unstyled on purpose), so that even an escaping bug
 * could not run script; `frame-ancestors`/`X-Frame-Options` stop a hostile page from framing the
 * answer; `no-store` keeps the URL's answer (and thus the secret path) out of caches.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

/**
 * Escapes text for an HTML text node or a quoted attribute value.
 * @example
 * escapeHtml('<b>&"\'') // '&lt;b&gt;&amp;&quot;&#39;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Renders the whole page.
 * @param title - plain text for `<title>` and `<h1>`.
 * @param message - plain text for the one paragraph.
 * @example
 * renderCallbackPage('Certificate wizard', 'Return to the installer.');
 */
export function renderCallbackPage(title: string, message: string): string {
  const t = escapeHtml(title);
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${t}</title></head>\n<body><h1>${t}</h1><p>${escapeHtml(message)}</p></body></html>\n`;
}

/**
 * Merges caller texts over the defaults, checking them.
 * @throws {TypeError} when a text is not a string or longer than {@link CALLBACK_PAGE_TEXT_MAX_LENGTH}.
 */
export function resolvePageTexts(texts: Partial<CallbackPageTexts> | undefined): CallbackPageTexts {
  if (texts === undefined) return DEFAULT_CALLBACK_PAGE_TEXTS;
  if (typeof texts !== 'object' || texts === null) throw new TypeError('page must be an object of texts');
  const out: Record<string, string> = { ...DEFAULT_CALLBACK_PAGE_TEXTS };
  for (const key of Object.keys(DEFAULT_CALLBACK_PAGE_TEXTS) as (keyof CallbackPageTexts)[]) {
    const value = texts[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > CALLBACK_PAGE_TEXT_MAX_LENGTH) {
      throw new TypeError(`page.${key} must be a string of at most ${CALLBACK_PAGE_TEXT_MAX_LENGTH} characters`);
    }
    out[key] = value;
  }
  return Object.freeze(out) as unknown as CallbackPageTexts;
}
