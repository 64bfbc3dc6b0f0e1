/**
 * Issue 6, the browser wizard, end to end in real Chromium: startWizard() runs in the test
 * process against the real reference CA; the person goes through every step (with the keyboard
 * where a person would), opens the CA's page from the wizard's button in a new tab, registers
 * there, confirms from the dev mailbox (no mail hook here) and sees the certificate installed,
 * which openssl then checks on disk. Each step is screenshotted and checked with axe-core.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures.js';
import { checkStep, focusRingShows, tabTo, watchCsp } from './support/wizard-checks.js';
import { confirmPing, decideOnAccountPage, registerAndConfirm } from './support/wizard-person.js';
import { startWizardFor } from './support/wizard-session.js';

// The two journeys are independent (a CA and a wizard each): run them side by side.
test.describe.configure({ mode: 'parallel' });

const PREFILLED = 'postmaster@example.test';
const TYPED = 'ada@example.test';
const openssl = (args: string[], env: NodeJS.ProcessEnv = {}) => execFileSync('openssl', args, { encoding: 'utf8', env: { ...process.env, ...env } });

/** The step heading, which the wizard focuses when the step appears. */
const stepHeading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });

/** The request id in "Request N is waiting for the account owner...". */
async function pendingRequestId(page: Page): Promise<string> {
  const status = page.getByRole('status').filter({ hasText: /^Request \S+ is waiting for the account owner/ });
  await expect(status).toBeVisible();
  return /^Request (\S+) is waiting/.exec((await status.textContent()) ?? '')?.[1] as string;
}

test('from nothing to an installed certificate in the browser wizard, with the keyboard', async ({ ca, page, context }, testInfo) => {
  const w = await startWizardFor(ca, { details: { firstName: 'Ada', email: PREFILLED }, pkcs12Download: true });
  const csp = watchCsp(page);
  try {
    await page.goto(w.wizard.url);
    // The token left the address bar for the session cookie.
    await expect(page).toHaveURL(/\/$/);

    // 1. Welcome: the vendor's name and logo; the focus is on the heading, Tab reaches Start.
    await expect(stepHeading(page, 'Welcome to the ExampleMail certificate wizard')).toBeFocused();
    await expect(page.getByRole('img', { name: 'ExampleMail logo' })).toBeVisible();
    await expect(page.getByText('Step 1 of 8: Welcome')).toBeVisible();
    await checkStep(page, testInfo, '01-welcome');
    const start = page.getByRole('button', { name: 'Start' });
    await tabTo(page, start);
    expect(await focusRingShows(page)).toBe(true);
    await page.keyboard.press('Enter');

    // 2. Details: prefilled from the vendor, checked before they go.
    await expect(stepHeading(page, 'Your details')).toBeFocused();
    await expect(page.getByLabel('First name')).toHaveValue('Ada');
    await expect(page.getByLabel('Email address')).toHaveValue(PREFILLED);
    await tabTo(page, page.getByRole('button', { name: 'Continue' }));
    await page.keyboard.press('Enter');
    await expect(page.getByText('Enter your last name.')).toBeVisible();
    await expect(page.getByLabel('Last name')).toBeFocused();
    await expect(page.getByLabel('Last name')).toHaveAttribute('aria-invalid', 'true');
    await checkStep(page, testInfo, '02-details-with-an-error');
    // The message goes as soon as the field is right, before any submit.
    await page.keyboard.type('L');
    await expect(page.getByText('Enter your last name.')).toBeHidden();
    await expect(page.getByLabel('Last name')).not.toHaveAttribute('aria-invalid');
    await page.keyboard.type('ovelace');
    await page.keyboard.press('Enter');

    // 3. Key: P-256 by default, others behind "Advanced"; made before the registration.
    await expect(stepHeading(page, 'Your key')).toBeFocused();
    await expect(page.getByText('The certificate request goes to the CA together with your registration')).toBeVisible();
    await tabTo(page, page.getByText('Advanced: choose another key type'));
    await page.keyboard.press('Enter');
    await expect(page.getByLabel('Key type')).toHaveValue('p256');
    await checkStep(page, testInfo, '03-key');
    await tabTo(page, page.getByRole('button', { name: 'Make the key and continue' }));
    await page.keyboard.press('Enter');

    // 4. Register: the SDK's opener became this button; it opens the CA's page in a new tab.
    await expect(stepHeading(page, /^Register at 127\.0\.0\.1:\d+$/)).toBeFocused();
    const openPage = page.getByRole('link', { name: 'Open the registration page (opens in a new tab)' });
    await expect(openPage).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: 'The registration page is ready.' })).toBeVisible();
    await checkStep(page, testInfo, '04-register');
    await tabTo(page, openPage);
    const [caPage] = await Promise.all([context.waitForEvent('page'), page.keyboard.press('Enter')]);

    // 5. Confirm: the wizard says what to do meanwhile and waits live.
    await expect(stepHeading(page, 'Confirm your address')).toBeFocused();
    await expect(page.getByText('Open the mail from the CA sent to')).toBeVisible();
    await checkStep(page, testInfo, '05-confirm-address');

    // At the CA, in the new tab: prefilled; the person registers another address than the request names.
    await caPage.waitForLoadState();
    expect(new URL(caPage.url()).origin).toBe(ca.url);
    await expect(caPage.getByLabel('First name')).toHaveValue('Ada');
    await expect(caPage.getByLabel('Email address')).toHaveValue(PREFILLED);
    // The wizard and the CA's pages show the same code (RFC 8628 §5.4): the person compares them.
    const userCode = (await page.locator('.user-code').first().textContent()) ?? '';
    expect(userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    await expect(caPage.locator('.user-code')).toHaveText(userCode);
    await registerAndConfirm(caPage, ca, TYPED, userCode);

    // 6. Approval: what is pending, and on whom.
    await expect(stepHeading(page, 'Approval and issuance')).toBeFocused();
    await expect(page.getByText(`Your address ${TYPED} is confirmed.`)).toBeVisible();
    const requestId = await pendingRequestId(page);
    await expect(
      page.getByRole('status').filter({ hasText: `Request ${requestId} is waiting for the account owner (${TYPED}) to approve it on the CA's account page.` }),
    ).toBeVisible();
    await expect(page.getByRole('link', { name: "Open the CA's account page (opens in a new tab)" })).toHaveAttribute('href', `${ca.url}/login`);
    await checkStep(page, testInfo, '06-approval');
    await decideOnAccountPage(caPage, ca, TYPED, requestId, 'Approve');

    // 7. Installed: names, expiry, fingerprint, paths; a PKCS #12 file with the person's passphrase.
    await expect(stepHeading(page, 'Certificate installed')).toBeFocused({ timeout: 20_000 });
    const { installed } = await w.wizard.done;
    await expect(page.getByText(installed.fingerprintSha256)).toBeVisible();
    // The fingerprint breaks only between byte pairs.
    expect(await page.locator('code.fingerprint wbr').count()).toBe(31);
    await expect(page.getByText(installed.paths.fullchain)).toBeVisible();
    // Paths may wrap only after a separator: each one has a <wbr> after each folder.
    expect(await page.locator('code.path').first().locator('wbr').count()).toBe(installed.paths.cert.split('/').length - 1);
    await expect(page.getByText(/days from now\)$/)).toBeVisible();
    await checkStep(page, testInfo, '07-installed');
    const passphrase = 'correct horse battery staple';
    await tabTo(page, page.getByLabel('Passphrase for the file'));
    await page.keyboard.type(passphrase);
    await page.keyboard.press('Tab');
    await page.keyboard.type(passphrase);
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(download.suggestedFilename()).toBe('mail.p12');
    const p12 = testInfo.outputPath('mail.p12');
    await download.saveAs(p12);
    await expect(page.getByRole('status').filter({ hasText: 'Downloaded mail.p12.' })).toBeVisible();
    expect(openssl(['pkcs12', '-in', p12, '-passin', 'env:P12', '-nodes'], { P12: passphrase })).toContain('-----BEGIN PRIVATE KEY-----');

    // 8. Done.
    await tabTo(page, page.getByRole('button', { name: 'Finish' }));
    await page.keyboard.press('Enter');
    await expect(stepHeading(page, 'All done')).toBeFocused();
    await w.wizard.finished;
    await checkStep(page, testInfo, '08-done');

    // A reload replays the history: the page comes back on the same step.
    await page.reload();
    await expect(stepHeading(page, 'All done')).toBeVisible();

    // On disk, as openssl sees it.
    const { paths } = installed;
    const caFile = join(w.dir, 'ca.pem');
    writeFileSync(caFile, w.caPem);
    expect(openssl(['verify', '-CAfile', caFile, paths.cert]).trim()).toBe(`${paths.cert}: OK`);
    expect(openssl(['pkey', '-in', paths.privkey, '-pubout'])).toBe(openssl(['x509', '-in', paths.cert, '-noout', '-pubkey']));
    expect(openssl(['x509', '-in', paths.cert, '-noout', '-ext', 'subjectAltName'])).toContain(`email:${installed.names[0]}`);
    expect(openssl(['x509', '-in', paths.cert, '-noout', '-fingerprint', '-sha256']).trim()).toBe(`sha256 Fingerprint=${installed.fingerprintSha256}`);
    expect(openssl(['pkey', '-in', paths.privkey, '-noout', '-text'])).toContain('prime256v1');
    expect(csp).toEqual([]);
  } finally {
    await w.close();
  }
});

test('on a 320 px wide window: a discarded request is shown with what to do, and Retry goes on to the certificate', async ({ ca, browser }, testInfo) => {
  const context = await browser.newContext({ viewport: { width: 320, height: 640 } });
  const page = await context.newPage();
  const w = await startWizardFor(ca, { details: { firstName: 'Ada', lastName: 'Lovelace', email: PREFILLED } });
  const csp = watchCsp(page);
  try {
    await page.goto(w.wizard.url);
    await expect(stepHeading(page, 'Welcome to the ExampleMail certificate wizard')).toBeFocused();
    await checkStep(page, testInfo, 'narrow-01-welcome');
    await page.getByRole('button', { name: 'Start' }).click();
    await checkStep(page, testInfo, 'narrow-02-details');
    await page.getByRole('button', { name: 'Continue' }).click();
    await checkStep(page, testInfo, 'narrow-03-key');
    await page.getByRole('button', { name: 'Make the key and continue' }).click();
    const openPage = page.getByRole('link', { name: 'Open the registration page (opens in a new tab)' });
    await expect(openPage).toBeVisible();
    await checkStep(page, testInfo, 'narrow-04-register');
    const [caPage] = await Promise.all([context.waitForEvent('page'), openPage.click()]);
    await expect(stepHeading(page, 'Confirm your address')).toBeVisible();
    await checkStep(page, testInfo, 'narrow-05-confirm-address');
    await caPage.waitForLoadState();
    await registerAndConfirm(caPage, ca, TYPED);

    // The owner discards the request: the wizard says so, what to do, and offers Retry.
    const requestId = await pendingRequestId(page);
    await checkStep(page, testInfo, 'narrow-06-approval');
    await decideOnAccountPage(caPage, ca, TYPED, requestId, 'Discard');
    const failure = page.getByRole('alert');
    await expect(failure.getByRole('heading', { name: 'Something went wrong' })).toBeFocused({ timeout: 20_000 });
    await expect(failure).toContainText('ERR_SDK_ENROLL_REJECTED');
    await expect(failure).toContainText('press Retry to make a new key and send a new request');
    await checkStep(page, testInfo, 'narrow-07-error-with-retry');
    await page.keyboard.press('Tab');
    await expect(failure.getByRole('button', { name: 'Retry' })).toBeFocused();
    await page.keyboard.press('Enter');

    // The retry makes a new key and request; the address it names is confirmed for the account
    // first: the CA pings it, the person confirms from the mail.
    await expect(failure).toBeEmpty();
    await expect(stepHeading(page, 'Confirm your address')).toBeFocused({ timeout: 20_000 });
    await expect(page.getByText(`Waiting for you to confirm ${PREFILLED} from the mail…`)).toBeVisible();
    await checkStep(page, testInfo, 'narrow-08-confirm-ping');
    await confirmPing(caPage, ca, PREFILLED);
    const secondId = await pendingRequestId(page);
    expect(secondId).not.toBe(requestId);
    await decideOnAccountPage(caPage, ca, TYPED, secondId, 'Approve');

    await expect(stepHeading(page, 'Certificate installed')).toBeFocused({ timeout: 20_000 });
    await checkStep(page, testInfo, 'narrow-09-installed');
    const { installed } = await w.wizard.done;
    expect(installed.names).toEqual([PREFILLED]);
    expect(openssl(['x509', '-in', installed.paths.cert, '-noout', '-ext', 'subjectAltName'])).toContain(`email:${PREFILLED}`);
    expect(csp).toEqual([]);
  } finally {
    await w.close();
    await context.close();
  }
});
