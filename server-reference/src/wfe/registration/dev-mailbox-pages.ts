/**
 * `GET /dev/mailbox` (HTML, newest first, links clickable) and `GET /dev/mailbox.json`
 * (`[{id, to, subject, text, createdAt}]`, optional `?to=`): the development mailbox, for people
 * and for tests. Mounted only when the dev mailbox is in use.
 */
import { Router } from 'express';
import type { DevMailbox } from '../../mail/dev-mailbox.js';
import { escapeHtml } from './html.js';
import { sendPage } from './page.js';

const URL_IN_TEXT = /https?:\/\/[^\s<>"']+/g;

/** Escapes a mail's text and turns its http(s) URLs into links. */
function linkify(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(URL_IN_TEXT)) {
    out += escapeHtml(text.slice(last, m.index));
    out += `<a href="${escapeHtml(m[0])}">${escapeHtml(m[0])}</a>`;
    last = m.index + m[0].length;
  }
  return out + escapeHtml(text.slice(last));
}

/**
 * Builds the mailbox routes.
 * @example
 * if (mailbox) app.use(devMailboxPages(mailbox));
 */
export function devMailboxPages(mailbox: DevMailbox): Router {
  const router = Router();
  const toOf = (query: unknown) => (typeof query === 'string' && query !== '' ? query : undefined);
  router.get('/dev/mailbox.json', async (req, res) => {
    const to = toOf(req.query.to);
    res.setHeader('Cache-Control', 'no-store');
    res.json(
      (await mailbox.list(to !== undefined ? { to } : {})).map((m) => ({
        id: m.id,
        to: m.to,
        subject: m.subject,
        text: m.text,
        createdAt: new Date(m.createdAtMs).toISOString(),
      })),
    );
  });
  router.get('/dev/mailbox', async (req, res) => {
    const to = toOf(req.query.to);
    const mails = await mailbox.list(to !== undefined ? { to } : {});
    const body =
      mails.length === 0
        ? '<p>No mail yet.</p>'
        : mails
            .map(
              (m) =>
                `<article><h2>${escapeHtml(m.subject)}</h2><p>To ${escapeHtml(m.to)}, ${escapeHtml(new Date(m.createdAtMs).toISOString())}</p><pre>${linkify(m.text)}</pre></article>`,
            )
            .join('\n');
    sendPage(res, 200, 'Development mailbox', `<p>Mail the CA would have sent. Development only.</p>\n${body}`);
  });
  return router;
}
