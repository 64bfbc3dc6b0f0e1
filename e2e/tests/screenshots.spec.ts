/**
 * Issue 12: every page of the reference CA and every step of the browser wizard, screenshotted
 * at 1280 px and at 360 px wide into the test's output folder
 * (`test-results/e2e/<test>/<width>/<name>.png`), for a person to look at. Each screenshot
 * first waits for the page's heading, so a page that breaks fails the test; none may scroll
 * sideways (`expect.soft`: one page too wide fails the test, and the other pages are still
 * taken, so one run names every such page).
 *
 * CA pages not reached here (each is the same one-heading, one-paragraph template as pages that
 * are): "Too many requests" (429, the per-client form limit), "Mail not sent" (502, a failing
 * mail relay), "Request refused" (403 foreign Origin or CSRF token, 400 malformed form),
 * "Confirmation failed" (a ping or link failing after its page was shown), "Nothing to refuse"
 * (refusing a link used meanwhile), the operator's "Reason required" (a reject without reason,
 * which the browser's `required` stops), the account's "Request refused" (a policy refusal on
 * approve), the operator queue's "Not found" (a decision on a request decided meanwhile) and the
 * Domains pages' "Not found" (another account's domain, one removed meanwhile).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createCsr, generateKeyPair } from '@certwizard/pki';
import { startTestCa } from '@certwizard/server-reference/testing';
import type { Locator, Page, TestInfo } from '@playwright/test';
import { accountWithToken, registerInBrowser } from './support/api-account.js';
import { expect, test } from './support/fixtures.js';
import { completeForm, PASSWORD } from './support/registration-form.js';
import { startWizardFor } from './support/wizard-session.js';

// Four independent journeys (two widths, a CA and a wizard each): run them side by side.
test.describe.configure({ mode: 'parallel' });

const VIEWPORTS = [
  { width: 1280, height: 900 },
  { width: 360, height: 740 },
] as const;

const PREFILLED = 'postmaster@example.test';
const TYPED = 'ada@example.test';
const CA_BIN = fileURLToPath(new URL('../../server-reference/bin/certwizard-ca.js', import.meta.url));
const OPERATOR = 'ops@ca.example';
const SERVER_DOMAIN = 'examplemail.test';
const SERVER_HOST = `mail.${SERVER_DOMAIN}`;
const SERVER_ACCOUNT = 'ada@example.test';
const OPERATOR_PASSWORD = 'operator password 1';

/** The step heading, which the wizard focuses when the step appears. */
const stepHeading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });
/** The one heading of a CA page (its title). */
const caHeading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });

/**
 * Waits for `heading` and the page's load (its stylesheet), then takes `<width>/<name>.png`,
 * full page, attaches it to the report, and checks that nothing is wider than the window.
 */
async function shoot(page: Page, testInfo: TestInfo, name: string, heading: Locator): Promise<void> {
  await expect(heading, `the heading of ${name}`).toBeVisible();
  await page.waitForLoadState('load');
  const width = page.viewportSize()?.width ?? 0;
  const path = testInfo.outputPath(String(width), `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(`${width}-${name}`, { path, contentType: 'image/png' });
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect.soft(scrollWidth, `${name} at ${width} px scrolls sideways`).toBeLessThanOrEqual(innerWidth);
}

/** The newest link matching `pattern` in the dev mailbox's mails to `to`, waiting (bounded) for it. */
async function mailedLink(mailbox: (to: string) => Promise<Array<{ text: string }>>, to: string, pattern: RegExp): Promise<string> {
  let link: string | undefined;
  await expect
    .poll(async () => (link = (await mailbox(to)).map((m) => pattern.exec(m.text)?.[0]).find((l) => l !== undefined)), {
      message: `a link in the mail to ${to}`,
    })
    .toBeDefined();
  return link as string;
}

const CONFIRM_LINK = /http:\/\/\S+id=confirm&token=[A-Za-z0-9_-]+/;
const PING_LINK = /http:\/\/\S+\/ping\/confirm\?token=[A-Za-z0-9_-]+/;

for (const viewport of VIEWPORTS) {
  test.describe(`at ${viewport.width} px`, () => {
    test.use({ viewport });

    test('every wizard step, and the CA pages its journey goes through', async ({ ca, page, context, browser }, testInfo) => {
      const w = await startWizardFor(ca, { details: { firstName: 'Ada', email: PREFILLED } });
      try {
        await page.goto(w.wizard.url);
        await shoot(page, testInfo, 'wizard-01-welcome', stepHeading(page, 'Welcome to the ExampleMail certificate wizard'));

        // The one-time address, opened again elsewhere: the wizard's refusal page.
        const elsewhere = await browser.newContext({ viewport });
        try {
          const second = await elsewhere.newPage();
          await second.goto(w.wizard.url);
          await shoot(second, testInfo, 'wizard-09-used-link', caHeading(second, 'This wizard link was already used'));
        } finally {
          await elsewhere.close();
        }

        await page.getByRole('button', { name: 'Start' }).click();
        await expect(page.getByLabel('Email address')).toHaveValue(PREFILLED);
        await shoot(page, testInfo, 'wizard-02-details', stepHeading(page, 'Your details'));
        await page.getByRole('button', { name: 'Continue' }).click();
        await expect(page.getByText('Enter your last name.')).toBeVisible();
        await shoot(page, testInfo, 'wizard-02-details-with-an-error', stepHeading(page, 'Your details'));
        await page.getByLabel('Last name').fill('Lovelace');
        await page.getByRole('button', { name: 'Continue' }).click();

        await shoot(page, testInfo, 'wizard-03-key', stepHeading(page, 'Your key'));
        await page.getByRole('button', { name: 'Make the key and continue' }).click();

        await expect(page.getByRole('status').filter({ hasText: 'The registration page is ready.' })).toBeVisible();
        await shoot(page, testInfo, 'wizard-04-register', stepHeading(page, /^Register at 127\.0\.0\.1:\d+$/));
        const [caPage] = await Promise.all([
          context.waitForEvent('page'),
          page.getByRole('link', { name: 'Open the registration page (opens in a new tab)' }).click(),
        ]);
        await shoot(page, testInfo, 'wizard-05-confirm-address', stepHeading(page, 'Confirm your address'));

        // The CA's registration form, prefilled by the installer, then with a field error.
        await expect(caPage.getByLabel('Email address')).toHaveValue(PREFILLED);
        await shoot(caPage, testInfo, 'ca-01-registration-form', caHeading(caPage, 'Register with the certwizard CA'));
        await completeForm(caPage, { email: TYPED });
        await caPage.getByLabel('Password again').fill('not the same password');
        await caPage.getByRole('button', { name: 'Register' }).click();
        await expect(caPage.locator('p.error')).toBeVisible();
        await shoot(caPage, testInfo, 'ca-02-registration-form-with-an-error', caHeading(caPage, 'Register with the certwizard CA'));
        await completeForm(caPage, { email: TYPED });
        await caPage.getByRole('button', { name: 'Register' }).click();
        await shoot(caPage, testInfo, 'ca-03-check-your-mail', caHeading(caPage, 'Check your mail'));

        // The confirmation mail, followed from the dev mailbox's page.
        await mailedLink((to) => ca.mailbox(to), TYPED, CONFIRM_LINK);
        await caPage.goto(`${ca.url}/dev/mailbox`);
        await shoot(caPage, testInfo, 'ca-04-dev-mailbox', caHeading(caPage, 'Development mailbox'));
        await caPage.getByRole('link', { name: CONFIRM_LINK }).first().click();
        await expect(caPage.locator('.user-code')).toHaveText((await page.locator('.user-code').first().textContent()) ?? '');
        await shoot(caPage, testInfo, 'ca-05-confirm-registration', caHeading(caPage, 'Confirm your registration'));
        await caPage.getByRole('button', { name: 'Confirm', exact: true }).click();
        await shoot(caPage, testInfo, 'ca-06-address-confirmed', caHeading(caPage, 'Address confirmed'));

        // Approval: the wizard waits; the owner logs in (once mistyped) and approves.
        const status = page.getByRole('status').filter({ hasText: /^Request \S+ is waiting for the account owner/ });
        await expect(status).toBeVisible({ timeout: 20_000 });
        const requestId = /^Request (\S+) is waiting/.exec((await status.textContent()) ?? '')?.[1] as string;
        await shoot(page, testInfo, 'wizard-06-approval', stepHeading(page, 'Approval and issuance'));
        await caPage.goto(`${ca.url}/login`);
        await shoot(caPage, testInfo, 'ca-07-login', caHeading(caPage, 'Log in'));
        await caPage.getByLabel('Email address').fill(TYPED);
        await caPage.getByLabel('Password').fill('not the password');
        await caPage.getByRole('button', { name: 'Log in' }).click();
        await expect(caPage.getByRole('alert')).toBeVisible();
        await shoot(caPage, testInfo, 'ca-08-login-with-an-error', caHeading(caPage, 'Log in'));
        await caPage.getByLabel('Password').fill(PASSWORD);
        await caPage.getByRole('button', { name: 'Log in' }).click();
        await expect(caPage.getByRole('heading', { name: 'Pending requests' })).toBeVisible();
        await shoot(caPage, testInfo, 'ca-09-account-with-a-pending-request', caHeading(caPage, 'Your account'));
        await caPage.getByRole('button', { name: `Approve request ${requestId}` }).click();
        await expect(caPage.getByRole('button', { name: `Approve request ${requestId}` })).toHaveCount(0);
        await shoot(caPage, testInfo, 'ca-10-account-after-approval', caHeading(caPage, 'Your account'));

        await shoot(page, testInfo, 'wizard-07-installed', stepHeading(page, 'Certificate installed'));
        await page.getByRole('button', { name: 'Finish' }).click();
        await shoot(page, testInfo, 'wizard-08-done', stepHeading(page, 'All done'));
      } finally {
        await w.close();
      }
    });

    test('the wizard for a server certificate: host names, the domain being verified, the proof line', async ({ ca, page, context }, testInfo) => {
      // No mail hook here: the domain's ping waits for a person, so the domain step stays on screen.
      const w = await startWizardFor(ca, {
        details: { firstName: 'Ada', lastName: 'Lovelace', email: SERVER_ACCOUNT },
        enroll: {
          names: { dns: [SERVER_HOST] },
          registration: { pollIntervalMs: 200, maxPollIntervalMs: 500 },
          verification: { pollIntervalMs: 200, maxPollIntervalMs: 500, timeoutMs: 45_000 },
          waiting: { pollIntervalMs: 200, maxPollIntervalMs: 500, timeoutMs: 45_000 },
        },
        proof: {
          text: 'ExampleMail now serves this certificate over STARTTLS. Check it as a mail client would:',
          command: `openssl s_client -starttls smtp -connect 127.0.0.1:2525 -servername ${SERVER_HOST} -CAfile /usr/share/examplemail/ca.pem -verify_return_error`,
        },
      });
      try {
        await page.goto(w.wizard.url);
        await shoot(page, testInfo, 'wizard-server-01-welcome', stepHeading(page, 'Welcome to the ExampleMail certificate wizard'));
        await page.getByRole('button', { name: 'Start' }).click();
        await expect(page.locator('#hostNames-checked')).toContainText(`the CA verifies the domain ${SERVER_DOMAIN}`);
        await shoot(page, testInfo, 'wizard-server-02-details-host-names', stepHeading(page, 'Your details'));
        // A host name the CA would refuse: the preview and the field say why.
        await page.getByLabel('Server host names').fill(`${SERVER_HOST}\nco.uk`);
        await expect(page.locator('#hostNames-checked')).toContainText('co.uk: This is a public suffix');
        await page.getByRole('button', { name: 'Continue' }).click();
        await expect(page.locator('#hostNames-error')).toBeVisible();
        await shoot(page, testInfo, 'wizard-server-03-details-bad-host-name', stepHeading(page, 'Your details'));
        await page.getByLabel('Server host names').fill(SERVER_HOST);
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByRole('button', { name: 'Make the key and continue' }).click();
        const [caPage] = await Promise.all([
          context.waitForEvent('page'),
          page.getByRole('link', { name: 'Open the registration page (opens in a new tab)' }).click(),
        ]);
        await completeForm(caPage);
        await caPage.getByRole('button', { name: 'Register' }).click();
        await caPage.goto(await mailedLink((to) => ca.mailbox(to), SERVER_ACCOUNT, CONFIRM_LINK));
        await caPage.getByRole('button', { name: 'Confirm', exact: true }).click();

        // The domain's ping to postmaster@, waiting for a person: the wizard says which domain and how.
        await expect(page.getByRole('status').filter({ hasText: `Waiting for you to confirm ${SERVER_DOMAIN} from the mail` })).toBeVisible({
          timeout: 20_000,
        });
        await expect(page.locator('.domains')).toContainText(`the CA mailed postmaster@${SERVER_DOMAIN}`);
        await shoot(page, testInfo, 'wizard-server-04-verify-domain', stepHeading(page, 'Verify your domain'));
        await caPage.goto(await mailedLink((to) => ca.mailbox(to), `postmaster@${SERVER_DOMAIN}`, PING_LINK));
        await shoot(caPage, testInfo, 'ca-26-confirm-a-domain', caHeading(caPage, 'Confirm a domain'));
        await caPage.getByRole('button', { name: 'Confirm', exact: true }).click();
        await shoot(caPage, testInfo, 'ca-27-domain-verified', caHeading(caPage, 'Domain verified'));

        await expect(page.getByText(`It is a TLS server certificate for ${SERVER_HOST}.`)).toBeVisible({ timeout: 20_000 });
        await shoot(page, testInfo, 'wizard-server-05-installed-with-proof', stepHeading(page, 'Certificate installed'));
        await page.getByRole('button', { name: 'Finish' }).click();
        await shoot(page, testInfo, 'wizard-server-06-done-with-proof', stepHeading(page, 'All done'));
      } finally {
        await w.close();
      }
    });

    test("the CA's pages off the wizard's path: refusal, cancel, taken, ping, enrollment secret, operator", async ({ page }, testInfo) => {
      // Started here, not by the `ca` fixture: adding an operator needs the CA's data folder.
      const ca = await startTestCa({ commonName: 'E2E Test CA', rateLimit: { capacity: 100 }, namesOutsideDomains: 'operator' });
      const mailbox = (to: string) => ca.mailbox(to);
      try {
        // Someone registers another person's address; its owner presses "This was not me".
        const victim = 'grace@example.test';
        await registerInBrowser(page, ca.url, victim);
        await expect(caHeading(page, 'Check your mail')).toBeVisible();
        const victimLink = await mailedLink(mailbox, victim, CONFIRM_LINK);
        await page.goto(victimLink);
        await shoot(page, testInfo, 'ca-11-confirm-registration-without-installer', caHeading(page, 'Confirm your registration'));
        await page.getByRole('button', { name: 'This was not me' }).click();
        await shoot(page, testInfo, 'ca-12-registration-refused', caHeading(page, 'Registration refused'));
        await page.goto(victimLink);
        await shoot(page, testInfo, 'ca-13-unknown-link', caHeading(page, 'Unknown link'));

        await page.goto(`${ca.url}/index.php?id=1`);
        await page.getByRole('button', { name: 'Cancel' }).click();
        await shoot(page, testInfo, 'ca-14-registration-cancelled', caHeading(page, 'Registration cancelled'));

        // An account with an installation token, as an installer's hand-off makes it; its address registered again.
        const account = await accountWithToken(page, ca.url, 'ada@example.org', (to) => mailedLink(mailbox, to, CONFIRM_LINK));
        await registerInBrowser(page, ca.url, account.email);
        await shoot(page, testInfo, 'ca-15-address-taken', caHeading(page, 'Address already registered'));
        await page.goto(account.confirmationLink);
        await shoot(page, testInfo, 'ca-16-address-already-confirmed', caHeading(page, 'Address already confirmed'));

        // The email ping for an additional address, opened from the dev mailbox.
        const other = 'ada.home@example.org';
        const ping = await fetch(`${ca.url}/api/addresses`, {
          method: 'POST',
          headers: { authorization: `Bearer ${account.token}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ email: other }).toString(),
        });
        expect(ping.status).toBe(202);
        await mailedLink(mailbox, other, PING_LINK);
        await page.goto(`${ca.url}/dev/mailbox?to=${encodeURIComponent(other)}`);
        await page.getByRole('link', { name: PING_LINK }).first().click();
        await shoot(page, testInfo, 'ca-17-ping-confirm', caHeading(page, 'Confirm your email address'));
        await page.getByRole('button', { name: 'Confirm', exact: true }).click();
        await shoot(page, testInfo, 'ca-18-ping-confirmed', caHeading(page, 'Address confirmed'));

        // The account page with an installation, and a one-time enrollment secret.
        await page.goto(`${ca.url}/login`);
        await page.getByLabel('Email address').fill(account.email);
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Log in' }).click();
        await expect(page.getByRole('button', { name: /^Revoke installation / })).toBeVisible();
        await shoot(page, testInfo, 'ca-19-account-with-an-installation', caHeading(page, 'Your account'));
        await page.getByRole('button', { name: 'Create an enrollment secret' }).click();
        await expect(page.locator('#enrollment-secret')).not.toBeEmpty();
        await shoot(page, testInfo, 'ca-20-enrollment-secret', caHeading(page, 'Enrollment secret'));

        // Domains: an IDN verified by the email ping (its link opened from the dev mailbox), a
        // second one whose DNS record and HTTP file are shown and checked before being published,
        // a public suffix refused, and the removal's confirmation.
        await page.goto(`${ca.url}/account`);
        await page.getByLabel('Add a domain').fill('bücher.example');
        await page.getByRole('button', { name: 'Add the domain' }).click();
        await shoot(page, testInfo, 'ca-28-domain-added', caHeading(page, 'bücher.example'));
        await page.getByLabel('Address').selectOption('hostmaster@xn--bcher-kva.example');
        await page.getByRole('button', { name: 'Send the ping' }).click();
        await shoot(page, testInfo, 'ca-29-domain-ping-sent', caHeading(page, 'Ping sent'));
        // The ping's pages are shot on the wizard's server journey (ca-26, ca-27).
        await page.goto(await mailedLink(mailbox, 'hostmaster@xn--bcher-kva.example', PING_LINK));
        await page.getByRole('button', { name: 'Confirm', exact: true }).click();
        await expect(caHeading(page, 'Domain verified')).toBeVisible();
        await page.goto(`${ca.url}/account`);
        await page.getByLabel('Add a domain').fill('examplemail.test');
        await page.getByRole('button', { name: 'Add the domain' }).click();
        await page.getByRole('button', { name: 'Show the DNS record to publish' }).click();
        await page.getByRole('button', { name: 'Show the HTTP file to serve' }).click();
        await expect(page.getByRole('button', { name: 'Check the HTTP file now' })).toBeVisible();
        await shoot(page, testInfo, 'ca-30-domain-challenges', caHeading(page, 'examplemail.test'));
        await page.getByRole('button', { name: 'Check the DNS record now' }).click();
        await expect(page.getByRole('alert')).toContainText('The CA looked and did not find it');
        await shoot(page, testInfo, 'ca-31-domain-check-failed', caHeading(page, 'examplemail.test'));
        await page.goto(`${ca.url}/account`);
        await page.getByLabel('Add a domain').fill('co.uk');
        await page.getByRole('button', { name: 'Add the domain' }).click();
        await expect(page.getByRole('alert')).toContainText('co.uk is a public suffix');
        await shoot(page, testInfo, 'ca-32-account-with-domains-and-an-error', caHeading(page, 'Your account'));
        await page.getByRole('link', { name: 'Remove examplemail.test' }).click();
        await shoot(page, testInfo, 'ca-33-remove-domain', caHeading(page, 'Remove a domain'));
        await page.getByRole('button', { name: 'Remove examplemail.test now' }).click();
        await expect(page.getByRole('link', { name: 'Remove examplemail.test' })).toHaveCount(0);

        // The operator area: an operator added as `certwizard-ca add-operator` does, and a
        // request for DNS names from the account's installation waiting in the queue.
        execFileSync(process.execPath, [CA_BIN, 'add-operator', '--data', ca.dataDir, '--email', OPERATOR], {
          env: { ...process.env, OPERATOR_PASSWORD },
          stdio: 'pipe',
        });
        const csr = createCsr({
          privateKey: generateKeyPair('p256').privateKey,
          subject: [{ type: 'CN', value: 'www.example.org' }],
          subjectAltNames: { dns: ['www.example.org', 'example.org'] },
        }).pem;
        const sent = await fetch(`${ca.url}/api/requests`, {
          method: 'POST',
          headers: { authorization: `Bearer ${account.token}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csr }).toString(),
        });
        expect(sent.status).toBe(202);
        await page.goto(`${ca.url}/operator/login`);
        await shoot(page, testInfo, 'ca-21-operator-login', caHeading(page, 'Operator log in'));
        await page.getByLabel('Operator address').fill(OPERATOR);
        await page.getByLabel('Password').fill(OPERATOR_PASSWORD);
        await page.getByRole('button', { name: 'Log in' }).click();
        const approve = page.getByRole('button', { name: /^Approve request / });
        await expect(approve).toHaveCount(1);
        await shoot(page, testInfo, 'ca-22-operator-queue', caHeading(page, 'Requests awaiting approval'));
        await approve.click();
        await expect(page.getByText('None.')).toBeVisible();
        await shoot(page, testInfo, 'ca-23-operator-queue-empty', caHeading(page, 'Requests awaiting approval'));
        // The account that holds a domain, found from the queue page; a search that finds none.
        await page.getByLabel('Find an account by address or domain').fill('Bücher.example');
        await page.getByRole('button', { name: 'Find account', exact: true }).click();
        await expect(page.getByRole('button', { name: 'Remove bücher.example from this account' })).toBeVisible();
        await shoot(page, testInfo, 'ca-34-operator-account-domains', caHeading(page, 'Account'));
        await page.getByLabel('Find an account by address or domain').fill('nobody-holds.example');
        await page.getByRole('button', { name: 'Find account', exact: true }).click();
        await expect(page.getByRole('alert')).toBeVisible();
        await shoot(page, testInfo, 'ca-35-operator-account-not-found', caHeading(page, 'Find an account'));

        // A confirmation link opened after its 24 hours; an address the CA does not serve.
        const late = 'late@example.test';
        await registerInBrowser(page, ca.url, late);
        await expect(caHeading(page, 'Check your mail')).toBeVisible();
        const lateLink = await mailedLink(mailbox, late, CONFIRM_LINK);
        await ca.advanceClock(25 * 60 * 60_000);
        await page.goto(lateLink);
        await shoot(page, testInfo, 'ca-24-link-expired', caHeading(page, 'Link expired'));
        await page.goto(`${ca.url}/index.php?id=nothing`);
        await shoot(page, testInfo, 'ca-25-not-found', caHeading(page, 'Not found'));
      } finally {
        await ca.dispose();
      }
    });
  });
}
