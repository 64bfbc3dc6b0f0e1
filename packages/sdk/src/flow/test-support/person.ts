/**
 * Test support: a person at a browser, scripted over HTTP against the real reference CA. Given
 * the registration URL the SDK opens, it loads the page, keeps its hidden fields (the hand-off,
 * the CSR), fills in the form (optionally changing the prefilled address), submits it, opens
 * the confirmation mail from the dev mailbox and follows the link back to the installer (the
 * agent's continue URL), as a browser would. Not part of the package's build.
 */
import { pressConfirm, typedRegistrationFields } from '../../enroll/test-support/reference-ca.js';

/** What the person does on the registration page. */
export interface PersonOptions {
  /** The address typed into the form; default: the prefilled one. */
  readonly email?: string;
  /** Stop after submitting the form (no confirmation): the registration stays unfinished. */
  readonly skipConfirmation?: boolean;
}

const unescape = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The hidden fields of the registration form in `html`. */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields[unescape(match[1] as string)] = unescape(match[2] as string);
  }
  return fields;
}

/** Submits the registration page at `url` as a person would. */
export async function submitRegistration(url: string, options: PersonOptions = {}): Promise<void> {
  const page = await fetch(url);
  if (page.status !== 200) throw new Error(`the registration page answered ${page.status}`);
  const html = await page.text();
  const prefilled = /name="EmailAddress"[^>]*value="([^"]*)"/.exec(html)?.[1];
  const email = options.email ?? (prefilled === undefined ? undefined : unescape(prefilled));
  if (email === undefined || email === '') throw new Error('no address to register');
  const origin = new URL(url).origin;
  const res = await fetch(`${origin}/index.php?id=1`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ ...hiddenFields(html), ...typedRegistrationFields(email) }).toString(),
  });
  if (res.status !== 200) throw new Error(`the registration answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
  if (options.skipConfirmation) return;
  await confirmAddress(origin, email);
}

/** Opens the newest confirmation mail to `email` and follows its link, then the link back to the installer. */
export async function confirmAddress(caOrigin: string, email: string): Promise<void> {
  const mails = (await (await fetch(`${caOrigin}/dev/mailbox.json?to=${encodeURIComponent(email)}`)).json()) as Array<{ text: string }>;
  const link = mails.map((m) => /https?:\/\/\S+id=confirm&token=[A-Za-z0-9_-]+/.exec(m.text)?.[0]).find((l) => l !== undefined);
  if (link === undefined) throw new Error('no confirmation link in the mailbox');
  const page = await pressConfirm(link);
  const back = /<a href="([^"]*)">Please click here to continue with the Installation Wizard<\/a>/.exec(page)?.[1];
  // Without a continue URL (no agent) the installer learns the outcome from its ticket.
  if (back !== undefined)
    await fetch(unescape(back))
      .then((r) => r.arrayBuffer())
      .catch(() => undefined);
}
