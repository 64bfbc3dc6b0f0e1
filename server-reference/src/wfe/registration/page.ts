/**
 * Sends a server-rendered page with the headers every page of the CA carries: a strict CSP
 * without any script, no framing, no sniffing, no caching (pages show addresses and codes).
 */
import type { Response } from 'express';
import { escapeHtml } from './html.js';

/** The Content-Security-Policy of every page: no script at all, styles only from the CA. */
export const PAGE_CSP = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Path of the pages' stylesheet. */
export const STYLESHEET_PATH = '/static/ca.css';

/** The stylesheet: small, and served by the CA itself so the CSP can stay `'self'`. */
export const STYLESHEET = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
label{display:block;margin-top:.75rem;font-weight:600}input{font:inherit;width:100%;box-sizing:border-box;padding:.3rem}
button{font:inherit;margin:1rem .5rem 0 0;padding:.4rem 1rem}.error{color:#a00}.problems{border:1px solid #a00;padding:.5rem 1rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:.3rem;text-align:left}
pre{white-space:pre-wrap;word-break:break-all;background:#f4f4f4;padding:.5rem}fieldset{margin-top:1rem}
.user-code{font:700 1.6rem ui-monospace,monospace;letter-spacing:.15em}.user-code-notice{border:2px solid #036;padding:.25rem 1rem}
`;

/**
 * Writes a page. `body` must already be safe HTML (built with {@link escapeHtml}); the title is
 * escaped here.
 * @example
 * sendPage(res, 200, 'Registration', `<p>${escapeHtml(message)}</p>`);
 */
export function sendPage(res: Response, status: number, title: string, body: string): void {
  res.status(status);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  // same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` with form
  // posts, which the same-origin check must refuse. Other sites still get no referrer (the
  // confirmation page's URL holds a one-time token).
  res.setHeader('Referrer-Policy', 'same-origin');
  res.send(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - certwizard CA</title><link rel="stylesheet" href="${STYLESHEET_PATH}"></head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`);
}
