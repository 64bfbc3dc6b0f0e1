/**
 * Issue 3, end to end: the SDK opens the CA's registration page in real Chromium (the opener is
 * handed to Playwright), the person fills it in, the CA mails the confirmation to its dev
 * mailbox, and register() learns the outcome through the localhost agent or the ticket.
 */
import { register } from '@certwizard/sdk';
import type { Page } from '@playwright/test';
import { expect, type TestCa, test } from './support/fixtures.js';
import { completeForm } from './support/registration-form.js';
import { pressConfirm } from './support/wizard-person.js';

/** Starts register() with Playwright as the browser; resolves once the page is open. */
function startRegistration(ca: TestCa, page: Page, options: { email?: string; timeoutMs?: number; pollIntervalMs?: number } = {}) {
  let opened!: () => void;
  const pageOpen = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const result = register({
    caUrl: ca.url,
    prefill: {
      firstName: { value: 'Ada', sure: true },
      emailAddress: { value: options.email ?? 'ada@example.test', sure: true },
    },
    opener: async (url) => {
      await page.goto(url);
      opened();
    },
    pollIntervalMs: options.pollIntervalMs ?? 200,
    maxPollIntervalMs: Math.max(options.pollIntervalMs ?? 500, 500),
    timeoutMs: options.timeoutMs ?? 45_000,
    display: () => {},
  });
  // Attach a handler now so an early rejection is never reported as unhandled.
  result.catch(() => {});
  return { result, pageOpen };
}

test('(a) the person changes the prefilled address, confirms it, clicks continue: register() resolves with it', async ({ ca, page }) => {
  // Poll the ticket rarely, so that the browser's continue callback is what ends the flow.
  const { result, pageOpen } = startRegistration(ca, page, { pollIntervalMs: 120_000 });
  await pageOpen;
  await expect(page.getByLabel('First name')).toHaveValue('Ada');
  await expect(page.getByLabel('Email address')).toHaveValue('ada@example.test');

  const changed = 'ada+wizard@example.test';
  await completeForm(page, { email: changed });
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('heading', { name: 'Check your mail' })).toBeVisible();

  // The person opens the mail in the dev mailbox and follows the link in the same browser.
  await page.goto(await ca.confirmationLink(changed));
  await pressConfirm(page);
  await expect(page.getByText('Your request was processed.')).toBeVisible();
  await page.getByRole('link', { name: /click here to continue/i }).click();

  const registered = await result;
  expect(registered).toMatchObject({ emailAddress: changed, firstName: 'Ada', lastName: 'Lovelace', via: 'callback' });
  expect(registered.installationToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  await expect(page.getByText(/return to the installer/i)).toBeVisible();
});

test('(b) the person closes the browser after submitting: register() completes through the ticket', async ({ ca, page }) => {
  const email = 'grace@example.test';
  const { result, pageOpen } = startRegistration(ca, page, { email });
  await pageOpen;
  await completeForm(page);
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('heading', { name: 'Check your mail' })).toBeVisible();
  await page.close();

  // Confirmed elsewhere (say, on a phone): no browser is left to follow the continue link.
  const link = new URL(await ca.confirmationLink(email));
  expect((await fetch(link)).status).toBe(200);
  const confirm = await fetch(`${link.origin}/index.php?id=confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: link.origin },
    body: new URLSearchParams({ token: link.searchParams.get('token') ?? '', action: 'confirm' }).toString(),
  });
  expect(confirm.status).toBe(200);

  await expect(result).resolves.toMatchObject({ emailAddress: email, lastName: 'Lovelace', via: 'ticket' });
});

test('(c) the CA reports an error: register() rejects with the CA reason', async ({ ca, page }) => {
  const email = 'taken@example.test';
  // Someone registered this address before.
  const first = startRegistration(ca, page, { email });
  await first.pageOpen;
  await completeForm(page);
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('heading', { name: 'Check your mail' })).toBeVisible();
  await page.goto(await ca.confirmationLink(email));
  await pressConfirm(page);
  await page.getByRole('link', { name: /click here to continue/i }).click();
  await first.result;

  const second = startRegistration(ca, page, { email });
  await second.pageOpen;
  await completeForm(page);
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByRole('link', { name: /return to the installation wizard/i }).click();
  await expect(second.result).rejects.toMatchObject({ code: 'ERR_SDK_REGISTRATION_REFUSED', reason: 'address_taken' });
});

test('(c) the person cancels: register() rejects with reason cancelled', async ({ ca, page }) => {
  const { result, pageOpen } = startRegistration(ca, page);
  await pageOpen;
  await page.getByRole('button', { name: 'Cancel' }).click();
  const back = page.getByRole('link', { name: /return to the installation wizard/i });
  if (await back.count()) await back.click();
  await expect(result).rejects.toMatchObject({ code: 'ERR_SDK_REGISTRATION_REFUSED', reason: 'cancelled' });
});

test('(d) the ticket expires: a clear ticket-expired error', async ({ ca, page }) => {
  const { result, pageOpen } = startRegistration(ca, page);
  await pageOpen;
  // The person walks away; 31 minutes pass on the CA's clock (default ticket lifetime 30).
  await ca.advanceClock(31 * 60_000);
  const err = await result.then(
    () => undefined,
    (e: unknown) => e as { code?: string; message?: string },
  );
  expect(err?.code).toBe('ERR_SDK_TICKET_EXPIRED');
  expect(err?.message).toMatch(/expired/i);
});

test('(e) script payloads in every prefilled field stay inert', async ({ ca, page }) => {
  // Each payload, if the page ran it, would report itself through reportExecution.
  const payloads = {
    FirstName: '<script>reportExecution("first")</script>',
    MiddleName: '"><img src=x onerror=reportExecution("middle")>',
    LastName: "';reportExecution('last');//</title><svg onload=reportExecution('last')>",
    EmailAddress: 'x@example.test"><script>reportExecution("mail")</script>',
  };
  const executed: string[] = [];
  await page.exposeFunction('reportExecution', (what: string) => executed.push(what));
  const url = new URL('/index.php', ca.url);
  url.searchParams.set('id', '1');
  for (const [name, value] of Object.entries(payloads)) url.searchParams.set(name, value);
  await page.goto(url.href, { waitUntil: 'load' });

  await expect(page.getByLabel('First name')).toHaveValue(payloads.FirstName);
  await expect(page.getByLabel('Middle name (optional)')).toHaveValue(payloads.MiddleName);
  await expect(page.getByLabel('Last name')).toHaveValue(payloads.LastName);
  await expect(page.getByLabel('Email address')).toHaveValue(payloads.EmailAddress);
  expect(await page.locator('script, img, svg').count()).toBe(0);
  // After "load" every inline script, onerror and onload has run. A probe through the same
  // channel, awaited, proves the channel works and that earlier reports have arrived.
  await page.evaluate(() => (window as unknown as { reportExecution: (what: string) => Promise<void> }).reportExecution('probe'));
  expect(executed).toEqual(['probe']);
});
