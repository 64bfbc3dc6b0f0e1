/**
 * The person's part of the CA's registration form in Chromium: everything the installer's
 * prefill did not fill in, typed through the form's labels as a person (or a screen reader) finds them.
 */
import type { Page } from '@playwright/test';

/** The password every e2e account gets. */
export const PASSWORD = 'correct horse battery';

/** Fills in everything the prefill did not, as a person would; `email` replaces the prefilled address. */
export async function completeForm(page: Page, options: { email?: string } = {}): Promise<void> {
  if (options.email !== undefined) await page.getByLabel('Email address').fill(options.email);
  await page.getByLabel('Last name').fill('Lovelace');
  await page.getByLabel('Date of birth').fill('1990-12-10');
  await page.getByLabel('Password (at least 10 characters)').fill(PASSWORD);
  await page.getByLabel('Password again').fill(PASSWORD);
  await page.getByLabel('First lost-password question').fill('First pet?');
  await page.getByLabel('Answer to the first question').fill('Rex');
  await page.getByLabel('Second lost-password question').fill('First school?');
  await page.getByLabel('Answer to the second question').fill('Elm Street');
}
