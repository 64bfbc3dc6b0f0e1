/**
 * The page a browser gets instead of the wizard: a used or wrong link, no session. Static text,
 * nothing from the request, no script and no style, so the strict CSP applies unchanged.
 */

/** Why the wizard is not shown. */
export type RefusalPageKind = 'link-used' | 'no-session';

const TEXT: Readonly<Record<RefusalPageKind, string>> = {
  'link-used':
    'This wizard link was already used, or is not valid. Each link works once, in one browser. Go back to the installer and open the wizard from there again.',
  'no-session': 'This browser has no session with the wizard. Open the wizard from the installer (the link it opened or printed).',
};

/** The HTML of the page. */
export function refusalPage(kind: RefusalPageKind): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Certificate wizard</title></head>\n<body><main><h1>Certificate wizard</h1><p>${TEXT[kind]}</p></main></body></html>\n`;
}
