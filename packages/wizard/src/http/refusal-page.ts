/**
 * The page a browser gets instead of the wizard: a used or wrong link, no session. Static text,
 * nothing from the request, no script; its looks come from {@link REFUSAL_CSS} at
 * {@link REFUSAL_CSS_PATH} (a file of the wizard's own origin, so the strict CSP applies
 * unchanged: no inline style).
 */

/** Why the wizard is not shown. */
export type RefusalPageKind = 'link-used' | 'no-session';

/** Where the page's stylesheet is served, without a session (it holds nothing of anyone's). */
export const REFUSAL_CSS_PATH = '/refusal.css';

/** The page's stylesheet: the wizard's type, colours and measure, nothing more. */
export const REFUSAL_CSS = `:root { color-scheme: light; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif; line-height: 1.5; color: #1b1b1f; background: #fff; }
body { margin: 0; }
main { max-width: 38rem; margin: 3rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 1rem; }
p { margin: 0 0 1rem; }
.note { padding: 0.75rem 1rem; border-left: 4px solid #0b57d0; background: #eef3fc; }
`;

const TEXT: Readonly<Record<RefusalPageKind, { heading: string; paragraphs: readonly string[] }>> = {
  'link-used': {
    heading: 'This wizard link was already used',
    paragraphs: [
      'Each wizard link works once, in one browser. If you opened it before, the wizard is still open in that browser: go back to its tab.',
      'For a fresh link, start the installer again: it opens or prints a new link, and continues where it stopped.',
    ],
  },
  'no-session': {
    heading: 'Open the wizard from the installer',
    paragraphs: [
      'This browser has no session with the certificate wizard.',
      'Open the wizard with the link the installer opened or printed. If that link was used already, start the installer again for a fresh one: it continues where it stopped.',
    ],
  },
};

/** The HTML of the page. */
export function refusalPage(kind: RefusalPageKind): string {
  const { heading, paragraphs } = TEXT[kind];
  const [first, ...rest] = paragraphs;
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${heading} - certificate wizard</title><link rel="stylesheet" href="${REFUSAL_CSS_PATH}"></head>\n` +
    `<body><main><h1>${heading}</h1><p>${first}</p>${rest.map((p) => `<p class="note">${p}</p>`).join('')}</main></body></html>\n`
  );
}
