/**
 * People at the CA's registration form in Chromium, for suites that need accounts but look at
 * other pages: a plain registration, and one made as an installer's hand-off does (a PKCE
 * challenge, RFC 7636 §4.2, with the form; the code redeemed for an installation token).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';
import { expect } from './fixtures.js';
import { completeForm } from './registration-form.js';

/** An account with one installation token. */
export interface AccountWithToken {
  readonly email: string;
  readonly token: string;
  /** The confirmation link the account was confirmed with (used by now). */
  readonly confirmationLink: string;
}

/**
 * Opens the registration form at `caUrl` (with `handoff` as its query), fills it in for Ada at
 * `email` and sends it; resolves on the page the CA answered with.
 */
export async function registerInBrowser(page: Page, caUrl: string, email: string, handoff: Record<string, string> = {}): Promise<void> {
  const url = new URL('/index.php', caUrl);
  for (const [name, value] of Object.entries({ id: '1', FirstName: 'Ada', ...handoff })) url.searchParams.set(name, value);
  await page.goto(url.href);
  await completeForm(page, { email });
  await page.getByRole('button', { name: 'Register' }).click();
}

/**
 * Registers `email` at the CA in the browser with a PKCE challenge, confirms it from the mailed
 * link (`confirmationLink` finds it) and redeems the code at the token endpoint.
 * @throws Error when the token endpoint gives no installation token.
 */
export async function accountWithToken(page: Page, caUrl: string, email: string, confirmationLink: (to: string) => Promise<string>): Promise<AccountWithToken> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  await registerInBrowser(page, caUrl, email, { continue: 'http://127.0.0.1:5000/done', code_challenge: challenge, code_challenge_method: 'S256' });
  await expect(page.getByRole('heading', { name: 'Check your mail' })).toBeVisible();
  const link = await confirmationLink(email);
  await page.goto(link);
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  // The continue link goes to the installer, which is not listening here: read its code instead.
  const href = await page.getByRole('link', { name: /continue with the Installation Wizard/ }).getAttribute('href');
  const code = new URL(href ?? '', caUrl).searchParams.get('code') ?? '';
  const res = await fetch(`${caUrl}/api/wizard/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ code, code_verifier: verifier }).toString(),
  });
  const token = ((await res.json()) as { installation_token?: string }).installation_token;
  if (token === undefined) throw new Error(`the token endpoint answered ${res.status} without an installation token`);
  return { email, token, confirmationLink: link };
}
