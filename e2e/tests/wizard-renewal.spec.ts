/**
 * Issue 14, names dropped during a renewal, in the browser wizard in real Chromium:
 * startRenewalWizard() runs renew() in the test process against the real reference CA, for a
 * certificate of mail.a.test and mail.b.test of which another account has since verified b.test
 * (packages/wizard/src/test-support/names-dropped.ts). The page shows the dropped name and the
 * old certificate, with Keep focused; the person revokes with the keyboard (the CRL then lists
 * the old certificate with cessationOfOperation), or keeps it (it is not on the CRL). Each screen
 * is screenshotted and checked with axe-core.
 */
import type { Page } from '@playwright/test';
import { droppedNameSetup, type DroppedNameSetup } from '../../packages/wizard/src/test-support/names-dropped.js';
import { startRenewalWizard, type RunningRenewalWizard } from '@certwizard/wizard';
import { expect, test } from './support/fixtures.js';
import { checkStep, focusRingShows, tabTo, watchCsp } from './support/wizard-checks.js';

// Each journey has its own CA and wizard: run them side by side.
test.describe.configure({ mode: 'parallel' });

const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });

/** The CA with a dropped name, and the renewal wizard for `mail`; both closed by the caller. */
async function renewalWizardFor(setup: DroppedNameSetup): Promise<RunningRenewalWizard> {
  return startRenewalWizard({
    vendor: { name: 'ExampleMail' },
    name: 'mail',
    baseDir: setup.baseDir,
    trustAnchorsPem: setup.ca.caCertPem,
    credentials: setup.credentials,
    renew: { method: setup.method(), clock: setup.clock },
  });
}

/** Opens the wizard, starts the renewal with the keyboard and waits for the question. */
async function untilAsked(page: Page, wizard: RunningRenewalWizard, setup: DroppedNameSetup, testInfo: Parameters<Parameters<typeof test>[2]>[1]) {
  await page.goto(wizard.url);
  await expect(page).toHaveURL(/\/$/);
  await expect(heading(page, 'Renew the certificate')).toBeFocused();
  await checkStep(page, testInfo, '01-start');
  await tabTo(page, page.getByRole('button', { name: 'Renew now' }));
  await page.keyboard.press('Enter');

  await expect(heading(page, 'Some names are no longer yours at the CA')).toBeVisible({ timeout: 30_000 });
  const keep = page.getByRole('button', { name: 'Keep the old certificate' });
  // Keep is the default: it has the focus, so Enter alone never revokes.
  await expect(keep).toBeFocused();
  expect(await focusRingShows(page)).toBe(true);
  await expect(page.getByRole('listitem').filter({ hasText: 'mail.b.test' })).toBeVisible();
  await expect(page.getByText(setup.firstSerialHex)).toBeVisible();
  await expect(page.getByText('mail.a.test, mail.b.test')).toBeVisible();
  await expect(page.getByText(/cessation of operation/)).toBeVisible();
  await expect(page.getByText(/or if you close this page, the old certificate is kept/)).toBeVisible();
  await checkStep(page, testInfo, '02-names-dropped');
  return keep;
}

test('a renewal drops a name; the person presses Revoke and the CRL lists the old certificate', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const setup = await droppedNameSetup();
  const wizard = await renewalWizardFor(setup);
  const csp = watchCsp(page);
  try {
    await untilAsked(page, wizard, setup, testInfo);
    await page.keyboard.press('Tab');
    const revoke = page.getByRole('button', { name: 'Revoke the old certificate' });
    await expect(revoke).toBeFocused();
    await page.keyboard.press('Enter');

    await expect(heading(page, 'Certificate renewed')).toBeFocused({ timeout: 30_000 });
    await expect(page.getByText(`The old certificate (serial ${setup.firstSerialHex}) is revoked.`)).toBeVisible();
    await expect(page.getByText('Left out: mail.b.test.', { exact: false })).toBeVisible();
    await checkStep(page, testInfo, '03-renewed-revoked');
    const outcome = await wizard.done;
    expect(outcome).toMatchObject({ status: 'renewed', droppedNames: ['mail.b.test'], revokedSerialHex: setup.firstSerialHex });
    expect(await setup.crlEntry(setup.firstSerialHex)).toMatchObject({ reason: 'cessationOfOperation' });

    await tabTo(page, page.getByRole('button', { name: 'Finish' }));
    await page.keyboard.press('Enter');
    await expect(heading(page, 'All done')).toBeFocused();
    await wizard.finished;
    expect(csp).toEqual([]);
  } finally {
    await wizard.close();
    await setup.dispose();
  }
});

test('a renewal drops a name; the person keeps the old certificate with Enter', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const setup = await droppedNameSetup();
  const wizard = await renewalWizardFor(setup);
  try {
    await untilAsked(page, wizard, setup, testInfo);
    await page.keyboard.press('Enter');
    await expect(heading(page, 'Certificate renewed')).toBeFocused({ timeout: 30_000 });
    await expect(page.getByText(`The old certificate (serial ${setup.firstSerialHex}) was kept; it stays valid until it expires.`)).toBeVisible();
    await checkStep(page, testInfo, '03-renewed-kept');
    const outcome = await wizard.done;
    expect(outcome).toMatchObject({ status: 'renewed', droppedNames: ['mail.b.test'] });
    expect(outcome).not.toHaveProperty('revokedSerialHex');
    expect(await setup.crlEntry(setup.firstSerialHex)).toBeUndefined();
  } finally {
    await wizard.close();
    await setup.dispose();
  }
});
