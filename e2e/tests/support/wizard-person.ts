/**
 * The person's part at the CA during the wizard e2e suite, in real Chromium: the registration
 * form, the confirmation mail, the account page's Approve and Discard buttons, the ping page.
 */
import type { Page } from '@playwright/test';
import { expect, type TestCa } from './fixtures.js';
import { completeForm, PASSWORD } from './registration-form.js';

/**
 * Fills in and sends the registration form (typing `email`), then opens the confirmation link
 * and, after comparing the code the page shows with `userCode` (what the installer shows),
 * presses Confirm: opening the link alone confirms nothing.
 */
export async function registerAndConfirm(caPage: Page, ca: TestCa, email: string, userCode?: string): Promise<void> {
  await completeForm(caPage, { email });
  await caPage.getByRole('button', { name: 'Register' }).click();
  await expect(caPage.getByRole('heading', { name: 'Check your mail' })).toBeVisible();
  await caPage.goto(await ca.confirmationLink(email));
  await pressConfirm(caPage, userCode);
  await expect(caPage.getByText('Your request was processed.')).toBeVisible();
}

/** On a confirmation page: checks the code it shows (when the test knows the installer's), then presses Confirm. */
export async function pressConfirm(caPage: Page, userCode?: string): Promise<void> {
  await expect(caPage.getByRole('heading', { name: 'Confirm your registration' })).toBeVisible();
  if (userCode !== undefined) await expect(caPage.locator('.user-code')).toHaveText(userCode);
  await caPage.getByRole('button', { name: 'Confirm', exact: true }).click();
}

/** Logs in on the CA's account page as `email` and decides on the pending request `requestId`. */
export async function decideOnAccountPage(caPage: Page, ca: TestCa, email: string, requestId: string, decision: 'Approve' | 'Discard'): Promise<void> {
  await caPage.goto(`${ca.url}/login`);
  if (await caPage.getByLabel('Password').isVisible()) {
    await caPage.getByLabel('Email address').fill(email);
    await caPage.getByLabel('Password').fill(PASSWORD);
    await caPage.getByRole('button', { name: 'Log in' }).click();
  }
  await expect(caPage.getByRole('heading', { name: 'Pending requests' })).toBeVisible();
  await caPage.getByRole('button', { name: `${decision} request ${requestId}` }).click();
  await expect(caPage.getByRole('button', { name: `${decision} request ${requestId}` })).toHaveCount(0);
}

/** Opens the newest ping to `email` from the dev mailbox and presses its Confirm button. */
export async function confirmPing(caPage: Page, ca: TestCa, email: string): Promise<void> {
  let link: string | undefined;
  for (let attempt = 0; attempt < 50 && link === undefined; attempt++) {
    link = (await ca.mailbox(email)).map((m) => /(http:\/\/\S+\/ping\/confirm\?token=[A-Za-z0-9_-]+)/.exec(m.text)?.[1]).find((l) => l !== undefined);
    if (link === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (link === undefined) throw new Error(`no ping to ${email} in the dev mailbox`);
  await caPage.goto(link);
  await caPage.getByRole('button', { name: 'Confirm', exact: true }).click();
}
