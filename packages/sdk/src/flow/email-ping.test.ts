/**
 * The email ping, whole path, as a vendor ships it: ExampleMail (examples/mailserver, a small
 * smtp-server app) with the mail hook attached, the reference CA relaying its mail to it over
 * SMTP on loopback, and the SDK's enroll() / verifyAddress() asking for the pings. With the hook
 * the mail server answers the ping by itself; without a nonce a person must click.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCemailsAnswer } from '@certwizard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installExampleMailCertificate } from '../../../../examples/mailserver/install-certificate.mjs';
import { startExampleMail } from '../../../../examples/mailserver/mail-server.mjs';
import { openFileStore } from '../credentials/file-store.js';
import type { CredentialStore } from '../credentials/credential-store.js';
import { verifyAddress } from '../methods/cacert/verify-address.js';
import { decideOnAccountPage, pressConfirm, startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { installationTokenKey } from '../methods/cacert/credential-keys.js';
import { enroll } from './default-method.js';
import type { EnrollFlowEvent } from './enroll.js';
import { submitRegistration } from './test-support/person.js';

const PING_FROM = 'ping@ca.example';
const POSTMASTER = 'postmaster@mail.example';
const OWNER = 'ada@home.example';

let dir: string;
let mail: Awaited<ReturnType<typeof startExampleMail>>;
let ca: TestCa;
let store: CredentialStore;
const hookLog: Array<Record<string, unknown>> = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-ping-'));
  hookLog.length = 0;
  // The mail server runs first (as it would on the vendor's machine); the CA relays to it.
  mail = await startExampleMail({ dataDir: join(dir, 'mail'), log: (entry: Record<string, unknown>) => hookLog.push(entry) });
  ca = await startTestCa({ retryAfterSeconds: 1, smtp: `127.0.0.1:${mail.port}`, pingFrom: PING_FROM });
  store = await openFileStore({ dir: join(dir, 'secrets') });
});
afterEach(async () => {
  await ca.dispose();
  await mail.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The CA's answer to cemails for this installation: the confirmed addresses. */
async function confirmedAddresses(): Promise<string[]> {
  const token = await store.get(installationTokenKey(new URL(ca.url).origin));
  const res = await fetch(`${ca.url}/api/cemails.php`, { headers: { authorization: `Bearer ${token}` } });
  return decodeCemailsAnswer(res.status, await res.text()).emails;
}

/** What a person does with the newest mail to `address` in ExampleMail: open its link and confirm. */
async function clickNewestLink(address: string): Promise<void> {
  const mails = await mail.mailbox(address);
  const text = (mails.at(-1) ?? '').replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const link =
    /(http:\/\/127\.0\.0\.1:\d+\/ping\/confirm\?token=[A-Za-z0-9_-]+)/.exec(text)?.[1] ?? /(http:\/\/\S+id=confirm&token=[A-Za-z0-9_-]+)/.exec(text)?.[1];
  if (link === undefined) throw new Error(`no link in the newest mail to ${address}`);
  // The page only shows who asked and the buttons; the person presses Confirm.
  const page = await pressConfirm(link);
  if (!/Your request was processed|is now a confirmed address|already confirmed/.test(page)) throw new Error(`confirming failed: ${page.slice(0, 300)}`);
}

/** The owner registers this installation by hand (their own address, confirmed by clicking) and gets a certificate for it. */
function enrollOwner() {
  return enroll({
    caUrl: ca.url,
    name: 'owner',
    baseDir: join(dir, 'certs'),
    names: { email: [OWNER] },
    credentials: store,
    trustAnchorsPem: ca.caCertPem,
    registration: {
      prefill: { emailAddress: { value: OWNER, sure: true } },
      opener: async (url) => {
        await submitRegistration(url, { skipConfirmation: true });
        await clickNewestLink(OWNER);
      },
      pollIntervalMs: 50,
    },
  });
}

describe('email ping answered by the mail server itself', () => {
  it("registration: the confirmation mail is a ping with the hook's nonce; nobody clicks, the certificate is installed", async () => {
    const events: EnrollFlowEvent[] = [];
    const openedUrls: string[] = [];
    const { installed, accountEmail } = await installExampleMailCertificate({
      mail,
      caUrl: ca.url,
      pingFrom: PING_FROM,
      trustAnchorsPem: ca.caCertPem,
      address: POSTMASTER,
      baseDir: join(dir, 'certs'),
      credentials: store,
      // The person fills in the form and does nothing else: no mail is opened.
      registration: {
        opener: (url: string) => {
          // The nonce went to the CA with the ticket request: the page's address does not carry it.
          openedUrls.push(url);
          return submitRegistration(url, { skipConfirmation: true });
        },
        pollIntervalMs: 50,
      },
      onEvent: (event: EnrollFlowEvent) => events.push(event),
    });
    expect(openedUrls).toHaveLength(1);
    expect(new URL(openedUrls[0] as string).searchParams.has('PingNonce')).toBe(false);
    expect(events).toContainEqual({ type: 'address-confirmation', address: POSTMASTER, automatic: true });
    expect(accountEmail).toBe(POSTMASTER);
    expect(installed.names).toEqual([POSTMASTER]);
    expect(hookLog).toContainEqual(expect.objectContaining({ event: 'ping-confirmed', address: POSTMASTER }));
    // The ping still reached the mailbox, with the nonce in its header.
    const [ping] = await mail.mailbox(POSTMASTER);
    expect(ping).toMatch(/^X-Certwizard-Ping-Nonce: [A-Za-z0-9_-]{43}\r?$/m);
    expect(ping).toMatch(new RegExp(`^From: ${PING_FROM}`, 'm'));
    expect(await ca.counts()).toMatchObject({ accounts: 1, certificates: 1 });
  });

  it('verify-email: an installation of an existing account confirms the postmaster address through the hook, then gets it certified', async () => {
    const setup = await enrollOwner();
    expect(setup.accountEmail).toBe(OWNER);
    expect(await confirmedAddresses()).toEqual([OWNER]);

    // ExampleMail's installer on the same installation: the token exists, so no registration;
    // verify-email has the CA ping the postmaster address with the hook's nonce.
    const events: EnrollFlowEvent[] = [];
    let approving: Promise<void> | undefined;
    const { installed } = await installExampleMailCertificate({
      mail,
      caUrl: ca.url,
      pingFrom: PING_FROM,
      trustAnchorsPem: ca.caCertPem,
      address: POSTMASTER,
      baseDir: join(dir, 'certs'),
      credentials: store,
      registration: { opener: () => Promise.reject(new Error('no registration expected')) },
      onEvent: (event: EnrollFlowEvent) => {
        events.push(event);
        // A request sent with an installation token waits for the owner.
        if (event.type === 'enrollment' && event.event.type === 'polling' && approving === undefined)
          approving = decideOnAccountPage(ca, event.event.requestId, 'approve', OWNER);
      },
    });
    await approving;
    expect(events).toContainEqual({ type: 'address', event: { type: 'ping-sent', address: POSTMASTER, automatic: true } });
    expect(events).toContainEqual({ type: 'address', event: { type: 'confirmed', address: POSTMASTER, alreadyConfirmed: false } });
    expect(await confirmedAddresses()).toEqual([OWNER, POSTMASTER]);
    expect(installed.names).toEqual([POSTMASTER]);
    expect(hookLog).toContainEqual(expect.objectContaining({ event: 'ping-confirmed', address: POSTMASTER }));
    expect(await ca.counts()).toMatchObject({ accounts: 1, certificates: 2 });
  });

  it('without a nonce (an installer that is no mail server) the ping waits for a person, and verifyAddress() notices the click', async () => {
    await enrollOwner();
    const installationToken = (await store.get(installationTokenKey(new URL(ca.url).origin))) as string;
    let clicked: Promise<void> | undefined;
    const result = await verifyAddress({
      caUrl: ca.url,
      installationToken,
      address: POSTMASTER,
      pollIntervalMs: 50,
      onEvent: (event) => {
        if (event.type === 'waiting' && clicked === undefined) clicked = clickNewestLink(POSTMASTER);
      },
    });
    await clicked;
    expect(result).toEqual({ address: POSTMASTER, alreadyConfirmed: false });
    // The hook saw a ping without a nonce header: ordinary mail, not answered.
    expect(hookLog.filter((e) => e.event === 'ping-confirmed')).toEqual([]);
    expect(await confirmedAddresses()).toEqual([OWNER, POSTMASTER]);
    // Asked again, it costs one question and sends nothing.
    const mailsBefore = (await mail.mailbox(POSTMASTER)).length;
    expect(await verifyAddress({ caUrl: ca.url, installationToken, address: POSTMASTER })).toEqual({ address: POSTMASTER, alreadyConfirmed: true });
    expect((await mail.mailbox(POSTMASTER)).length).toBe(mailsBefore);
  });
});
