/**
 * Issue 15, the wizard's key step for a CA reached over SCEP (RFC 8894) whose fingerprint the
 * vendor did not pin: in real Chromium, against the real reference CA's `/scep`, the step shows
 * the CA and RA certificates' SHA-256 the CA presented (GetCACert), in colon form, with the
 * advice to compare them with what the CA's operator publishes, while the vendor's
 * `onCaFingerprints` waits; its no then stops the run before any request is sent.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { Page } from '@playwright/test';
import { scepMethod } from '@certwizard/sdk';
import { expect, test } from './support/fixtures.js';
import { watchCsp } from './support/wizard-checks.js';
import { startWizardFor } from './support/wizard-session.js';

const stepHeading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });
const colon = (hex: string) => (hex.toUpperCase().match(/../g) ?? []).join(':');

test("the key step shows the SCEP CA's presented fingerprints in colon form when the vendor pinned none", async ({ ca, page }) => {
  const caPem = await (await fetch(`${ca.url}/ca.pem`)).text();
  const caSha256 = createHash('sha256').update(new X509Certificate(caPem).raw).digest('hex');
  // The vendor's question to the person, held open until the page was checked.
  let asked: ((accepted: boolean) => void) | undefined;
  let onAsked = () => {};
  const question = new Promise<void>((resolve) => (onAsked = resolve));
  const method = scepMethod({
    url: `${ca.url}/scep`,
    onCaFingerprints: () =>
      new Promise<boolean>((resolve) => {
        asked = resolve;
        onAsked();
      }),
  });
  const w = await startWizardFor(ca, {
    details: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.test' },
    certifyAddress: false,
    enroll: { names: { dns: ['mail.example.test'] }, method },
  });
  const csp = watchCsp(page);
  try {
    await page.goto(w.wizard.url);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(stepHeading(page, 'Your key')).toBeVisible();
    await expect(page.locator('#scep-ca')).toContainText("checks the certificate authority's fingerprints with you");
    await page.getByRole('button', { name: 'Make the key and continue' }).click();
    await question;
    const presented = page.locator('#scep-presented');
    await expect(presented).toBeVisible();
    await expect(stepHeading(page, 'Your key')).toBeVisible();
    await expect(presented).toContainText('presented these SHA-256 fingerprints');
    await expect(presented.locator('dd').first()).toHaveText(colon(caSha256));
    await expect(presented.locator('dd')).toHaveCount(2);
    await expect(presented.locator('dd').nth(1)).toHaveText(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    await expect(presented).toContainText("Compare them with the fingerprints the certificate authority's operator publishes");
    asked?.(false);
    await expect(page.getByRole('alert')).toContainText('ERR_SDK_SCEP_CA_UNTRUSTED', { timeout: 20_000 });
    expect(csp).toEqual([]);
  } finally {
    asked?.(false);
    await w.close();
  }
});
