/**
 * Test helpers for the registration hand-off: form posts, the dev mailbox, row counts.
 */
import { decodeNewTicketText, decodeTicketAnswerText } from '@certwizard/protocol';
import type { TestCa } from './test-ca.js';

/** A complete, valid registration form; override fields per test. */
export function registrationFields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    FirstName: 'Ada',
    MiddleName: 'B',
    LastName: 'Lovelace',
    EmailAddress: 'ada+wizard@example.org',
    DateOfBirth: '1990-12-10',
    Password: 'correct horse battery',
    PasswordConfirmation: 'correct horse battery',
    Question1: 'First pet?',
    Answer1: 'Rex',
    Question2: 'Town?',
    Answer2: 'London',
    ...overrides,
  };
}

/** POSTs a form; redirects are not followed. */
export async function postForm(
  url: string,
  fields: Record<string, string> | Array<[string, string]>,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** A new ticket from `givemeaticket`. */
export async function newTicket(ca: { url: string }): Promise<string> {
  const res = await fetch(`${ca.url}/index.php?id=givemeaticket`);
  return decodeNewTicketText(await res.text(), res.status);
}

/** The `isitdone` answer for `ticket`, decoded. */
export async function isItDone(ca: { url: string }, ticket: string) {
  const res = await fetch(`${ca.url}/index.php?id=isitdone&ticket=${ticket}`);
  return decodeTicketAnswerText(await res.text(), res.status);
}

/** The dev mailbox as JSON. */
export async function mailbox(caUrl: string, to?: string): Promise<Array<{ id: number; to: string; subject: string; text: string; createdAt: string }>> {
  const res = await fetch(`${caUrl}/dev/mailbox.json${to ? `?to=${encodeURIComponent(to)}` : ''}`);
  return (await res.json()) as Array<{ id: number; to: string; subject: string; text: string; createdAt: string }>;
}

/** The confirmation link in the newest mail to `to`. */
export async function confirmationLink(caUrl: string, to: string): Promise<string> {
  const [mail] = await mailbox(caUrl, to);
  const link = /https?:\/\/\S+id=confirm&token=[A-Za-z0-9_-]+/.exec(mail?.text ?? '')?.[0];
  if (!link) throw new Error('no confirmation link in the mailbox');
  return link;
}

/**
 * A person opening the mailed confirmation link and pressing a button: the GET shows the page
 * (and changes nothing), the POST of its form does what the button says. A page without the
 * form (unknown, used, expired link) is returned as it is.
 */
export async function confirmAsPerson(link: string, action: 'confirm' | 'reject' = 'confirm'): Promise<{ status: number; text: string; page: string }> {
  const res = await fetch(link);
  const page = await res.text();
  if (res.status !== 200 || !page.includes(`name="action" value="${action}"`)) return { status: res.status, text: page, page };
  const url = new URL(link);
  const formAction = /<form method="post" action="([^"]+)">/.exec(page)?.[1]?.replaceAll('&amp;', '&') as string;
  const posted = await postForm(new URL(formAction, url).href, { token: url.searchParams.get('token') as string, action }, { origin: url.origin });
  return { ...posted, page };
}

/** Row counts of the tables the hand-off writes (through the CA's management server). */
export async function rowCounts(ca: Pick<TestCa, 'rows'>): Promise<Record<string, number>> {
  const rows = await ca.rows();
  const out: Record<string, number> = {};
  for (const t of ['accounts', 'tickets', 'registration_handoffs', 'authorization_codes', 'installation_tokens', 'sessions']) out[t] = rows[t]?.length ?? 0;
  out.ticketUrls = (rows.tickets as Array<{ continue_url: string | null; error_url: string | null }>).filter(
    (t) => t.continue_url !== null || t.error_url !== null,
  ).length;
  return out;
}

/** The href of the link whose text is `text`, HTML-unescaped. */
export function linkHref(html: string, text: string): string | undefined {
  const m = new RegExp(`<a href="([^"]*)">${text}</a>`).exec(html);
  return m?.[1]
    ?.replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}
