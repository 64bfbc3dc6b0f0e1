/**
 * Issue 4, end to end in real Chromium: the installer's enroll() sends its certificate request
 * with the registration; the person changes the prefilled address, so the CA keeps the request
 * pending instead of issuing it; the person logs in, sees the request on the account page and
 * approves it; enroll() installs the certificate, which openssl then checks on disk.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enroll, openFileStore } from '@certwizard/sdk';
import { expect, test } from './support/fixtures.js';
import { completeForm, PASSWORD } from './support/registration-form.js';
import { pressConfirm } from './support/wizard-person.js';

const PREFILLED = 'ada@example.test';
const TYPED = 'ada.work@example.test';

test('a request sent with the registration, the address changed, approved on the account page: the SDK installs the certificate', async ({ ca, page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'certwizard-e2e-enroll-'));
  try {
    const caPem = await (await fetch(`${ca.url}/ca.pem`)).text();
    let opened!: () => void;
    const pageOpen = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const result = enroll({
      caUrl: ca.url,
      name: 'mail',
      baseDir: join(dir, 'certs'),
      names: { email: [PREFILLED] },
      credentials: await openFileStore({ dir: join(dir, 'secrets') }),
      trustAnchorsPem: caPem,
      registration: {
        prefill: { firstName: { value: 'Ada', sure: true }, emailAddress: { value: PREFILLED, sure: true } },
        opener: async (url) => {
          await page.goto(url);
          opened();
        },
        display: () => {},
        pollIntervalMs: 200,
        maxPollIntervalMs: 500,
      },
      waiting: { pollIntervalMs: 200, maxPollIntervalMs: 500, timeoutMs: 45_000 },
    });
    result.catch(() => {});
    await pageOpen;

    // The page says a request came with the registration; the person types another address.
    await expect(page.getByText('The installer sent a certificate request')).toBeVisible();
    await completeForm(page, { email: TYPED });
    await page.getByRole('button', { name: 'Register' }).click();
    await expect(page.getByRole('heading', { name: 'Check your mail' })).toBeVisible();
    await page.goto(await ca.confirmationLink(TYPED));
    // Before the button: the request's names and key, and that confirming does not issue it (another address was typed).
    await expect(page.getByText('The installer also sent a certificate request for')).toBeVisible();
    await expect(page.getByText('so confirming does not issue it')).toBeVisible();
    await expect(page.locator('.fingerprint')).toHaveText(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    await pressConfirm(page);
    await expect(page.getByText('Your request was processed.')).toBeVisible();
    // Whichever comes first ends the registration: this continue link (to the agent) or the
    // ticket; the agent stops listening once the ticket won, so its page is not asserted here.
    await page.getByRole('link', { name: /click here to continue/i }).click();

    // The request names the prefilled address, not the confirmed one: it waits on the account page.
    await page.goto(`${ca.url}/login`);
    await page.getByLabel('Email address').fill(TYPED);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('heading', { name: 'Pending requests' })).toBeVisible();
    const row = page.getByRole('row').filter({ hasText: TYPED });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('ECDSA P-256');
    await expect(row).toContainText('registration');
    await expect(row.locator('code')).toHaveText(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    await row.getByRole('button', { name: /^Approve request / }).click();
    await expect(page.getByRole('heading', { name: 'Pending requests' })).toBeVisible();
    // The request left "Pending requests"; the certificate is listed under "Your certificates".
    await expect(page.getByRole('button', { name: /^Approve request / })).toHaveCount(0);
    const certificateRow = page.getByRole('row').filter({ hasText: TYPED });
    await expect(certificateRow).toHaveCount(1);
    await expect(certificateRow).toContainText('valid');

    const { installed, accountEmail } = await result;
    expect(accountEmail).toBe(TYPED);
    expect(installed.names).toEqual([TYPED]);
    const { paths } = installed;
    const openssl = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, caPem);
    expect(openssl(['verify', '-CAfile', caFile, paths.cert]).trim()).toBe(`${paths.cert}: OK`);
    expect(openssl(['pkey', '-in', paths.privkey, '-pubout'])).toBe(openssl(['x509', '-in', paths.cert, '-noout', '-pubkey']));
    expect(openssl(['x509', '-in', paths.cert, '-noout', '-ext', 'subjectAltName'])).toContain(`email:${TYPED}`);
    expect(statSync(paths.privkey).mode & 0o777).toBe(0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
