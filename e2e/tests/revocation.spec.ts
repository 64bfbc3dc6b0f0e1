/**
 * Revoking on the account page in Chromium: the owner logs in, sees the certificate valid,
 * picks a reason and presses Revoke, confirms on the page that asks, sees it revoked with that
 * reason, and the CA's CRL lists it with the reason.
 */
import { createCsr, generateKeyPair, parseCertificateChain, parseCrl } from '@certwizard/pki';
import { decodeCcsrAnswer } from '@certwizard/protocol';
import { accountWithToken } from './support/api-account.js';
import { expect, test } from './support/fixtures.js';
import { PASSWORD } from './support/registration-form.js';

/** A certificate issued at once to the account (ccsr with its password); its serial. */
async function issueWithPassword(caUrl: string, email: string): Promise<string> {
  const { privateKey } = generateKeyPair('p256');
  const optionalCSR = createCsr({ privateKey, subject: [{ type: 'CN', value: 'ignored by ccsr' }] }).pem;
  const res = await fetch(`${caUrl}/api/ccsr.php`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: email, password: PASSWORD, email, name: 'Ada Lovelace', optionalCSR }).toString(),
  });
  const answer = decodeCcsrAnswer(res.status, await res.text());
  if (answer.status !== 'issued') throw new Error('ccsr did not issue');
  return parseCertificateChain(answer.chainPem)[0]?.serialNumberHex as string;
}

test('an owner revokes a certificate on the account page, with a reason and a confirmation; the CRL lists it', async ({ page, ca }) => {
  const email = 'ada+revoke@example.org';
  await accountWithToken(page, ca.url, email, (to) => ca.confirmationLink(to));
  const serial = await issueWithPassword(ca.url, email);

  await page.goto(`${ca.url}/login`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  const row = page.locator(`tr[data-serial="${serial}"]`);
  await expect(row.locator('td.status')).toHaveText('valid');

  await row.locator(`#reason-${serial}`).selectOption('keyCompromise');
  await row.getByRole('button', { name: `Revoke certificate ${serial}` }).click();
  // The first press only asks: nothing is revoked yet.
  await expect(page.getByRole('heading', { name: 'Revoke this certificate?' })).toBeVisible();
  await expect(page.getByText('The private key may be known to someone else (keyCompromise)')).toBeVisible();
  await page.getByRole('button', { name: 'Yes, revoke this certificate' }).click();
  await expect(page.getByRole('status')).toContainText(`Certificate ${serial} is revoked as of`);

  await page.getByRole('link', { name: 'Back' }).click();
  await expect(row.locator('td.status')).toContainText('revoked');
  await expect(row.locator('td.status')).toContainText('(keyCompromise)');
  await expect(row.getByRole('button', { name: /^Revoke certificate/ })).toHaveCount(0);

  const crl = parseCrl(new Uint8Array(await (await fetch(`${ca.url}/crl`)).arrayBuffer()));
  expect(crl.revoked.find((entry) => entry.serialNumberHex === serial)).toMatchObject({ reason: 'keyCompromise' });
});
