/**
 * Sends a server-rendered page with the headers every page of the CA carries: a strict CSP
 * without any script, no framing, no sniffing, no caching (pages show addresses and codes).
 */
import type { Response } from 'express';
import { escapeHtml } from './html.js';

/** The Content-Security-Policy of every page: no script at all, styles only from the CA. */
export const PAGE_CSP = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The CA's name, in every page's header and title. */
export const CA_NAME = 'certwizard CA';

/** Path of the pages' stylesheet. */
export const STYLESHEET_PATH = '/static/ca.css';

/**
 * The stylesheet of every page (registration, confirmation, account, operator, dev mailbox): small,
 * and served by the CA itself so the CSP can stay `'self'`. A calm palette whose text and buttons
 * meet WCAG AA contrast; 44 px touch targets; a visible focus ring. Long hex (`code`, `.fp`)
 * wraps instead of widening the page, and a `table.stack` becomes one labelled block per row on
 * screens up to 40rem (each cell's `data-label` shown above its value).
 */
export const STYLESHEET = `:root{--ink:#1f2933;--muted:#4a5562;--line:#d3dce6;--page:#f5f7fa;--card:#fff;--accent:#1d4e89;--accent-dark:#163c69;--danger:#9b1c1c;--danger-bg:#fdeeee;--focus:#f0a500}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--page);color:var(--ink);font:1rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.site{background:var(--accent);color:#fff}
.site p{max-width:48rem;margin:0 auto;padding:.75rem 1rem;font-weight:700;letter-spacing:.02em}
main{max-width:48rem;margin:1.5rem auto 3rem;padding:0 1rem}
h1{font-size:1.75rem;line-height:1.2;margin:0 0 1rem;overflow-wrap:break-word}
h2{font-size:1.25rem;line-height:1.3;margin:2rem 0 .75rem;overflow-wrap:break-word}
p,ul,dl{margin:0 0 1rem}
a{color:var(--accent);text-underline-offset:.15em;overflow-wrap:anywhere}
a:hover{color:var(--accent-dark)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
label{display:block;margin:1.25rem 0 .3rem;font-weight:600}
input,select{font:inherit;color:inherit;width:100%;min-height:2.75rem;padding:.5rem .75rem;border:1px solid #7b8794;border-radius:.375rem;background:#fff}
input[aria-invalid=true]{border-color:var(--danger);border-width:2px}
form{margin:0}form+p{margin-top:1rem}
button{font:inherit;font-weight:600;min-height:2.75rem;min-width:2.75rem;margin:1.25rem .5rem 0 0;padding:.5rem 1.25rem;border:2px solid var(--accent);border-radius:.375rem;background:var(--accent);color:#fff;cursor:pointer}
button:hover{background:var(--accent-dark);border-color:var(--accent-dark)}
button.secondary{background:#fff;color:var(--accent)}
button.secondary:hover{background:#e8eef6;color:var(--accent-dark)}
td form,dd form{display:inline-block}
td button{margin:.25rem .5rem .25rem 0}
.error{color:var(--danger);font-weight:600;margin:.3rem 0 0}
.error[role=alert],.problems{background:var(--danger-bg);border-left:4px solid var(--danger);border-radius:.25rem;padding:.75rem 1rem;margin:0 0 1rem}
.problems{color:var(--ink)}.problems h2{margin-top:0;color:var(--danger)}
code,pre,.fp{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875em;overflow-wrap:anywhere}
pre{white-space:pre-wrap;background:#eef2f6;border-radius:.375rem;padding:.75rem}
.fingerprint{background:#eef2f6;border-radius:.375rem;padding:.5rem .75rem}
table{border-collapse:collapse;width:100%;margin:0 0 1rem;background:var(--card)}
th,td{border-bottom:1px solid var(--line);padding:.5rem;text-align:left;vertical-align:top}
th{font-size:.875rem;color:var(--muted)}
dl{display:grid;grid-template-columns:minmax(7rem,max-content) minmax(0,1fr);gap:.35rem 1rem}
dt{font-weight:600;color:var(--muted)}dd{margin:0;min-width:0}
section,article{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem;margin:0 0 1.25rem}
section h2,article h2{margin-top:0}
fieldset{margin-top:1rem}
.user-code{font:700 1.6rem ui-monospace,monospace;letter-spacing:.15em;overflow-wrap:anywhere}
.user-code-notice{background:var(--card);border:2px solid var(--accent);border-radius:.5rem;padding:.25rem 1rem;margin:0 0 1rem}
@media (max-width:40rem){
h1{font-size:1.5rem}
dl{grid-template-columns:minmax(0,1fr);gap:0}dd{margin:0 0 .6rem}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
table.stack{background:none}
table.stack tr{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.5rem .75rem;margin:0 0 .75rem}
table.stack td{border:0;padding:.3rem 0}
table.stack td::before{content:attr(data-label);display:block;font-size:.8125rem;font-weight:600;color:var(--muted)}
}
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
<title>${escapeHtml(title)} - ${escapeHtml(CA_NAME)}</title><link rel="stylesheet" href="${STYLESHEET_PATH}"></head>
<body>
<header class="site"><p>${escapeHtml(CA_NAME)}</p></header>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`);
}
