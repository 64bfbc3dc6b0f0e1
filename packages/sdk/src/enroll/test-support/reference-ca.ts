/**
 * Test fixture: the real reference CA on 127.0.0.1 port 0, with a confirmed account and an
 * installation token made over HTTP as a user would, and the account page's Approve button.
 * (The setup follows server-reference/test/support; copied, as tests may not reach into another
 * package's test folder.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPkcePair } from '@certwizard/protocol';
import {
  buildServeConfig,
  CertificateRequestStore,
  createIdentity,
  loadIdentity,
  openDatabase,
  type RunningCa,
  silentLogger,
  startCa,
} from '@certwizard/server-reference';

export const EMAIL = 'ada+wizard@example.org';
export const PASSWORD = 'correct horse battery';
const PASSPHRASE = 'test-ca-passphrase';

/** A started CA; `dispose` closes it and deletes its files. */
export interface TestCa extends RunningCa {
  readonly dataDir: string;
  readonly caCertPem: string;
  dispose(): Promise<void>;
}

/** Starts a CA with a fresh P-256 identity; `smtp` (`127.0.0.1:PORT`) relays its mail there. */
export async function startTestCa(options: { retryAfterSeconds?: number; smtp?: string; pingFrom?: string } = {}): Promise<TestCa> {
  const dir = mkdtempSync(join(tmpdir(), 'certwizard-sdk-enroll-'));
  const identityDir = join(dir, 'identity');
  const dataDir = join(dir, 'data');
  await createIdentity(identityDir, {
    subject: [{ type: 'CN', value: 'SDK Enroll Test CA' }],
    validityYears: 5,
    keyType: 'p256',
    passphrase: PASSPHRASE,
  });
  // With `smtp`, mail (pings included) goes to that relay instead of the dev mailbox.
  const config = buildServeConfig({
    identity: identityDir,
    data: dataDir,
    listen: '127.0.0.1:0',
    ...(options.smtp === undefined ? {} : { smtp: options.smtp }),
    ...(options.pingFrom === undefined ? {} : { pingFrom: options.pingFrom }),
  });
  const running = await startCa(config, {
    identity: loadIdentity(identityDir, PASSPHRASE),
    logger: silentLogger,
    ...(options.retryAfterSeconds !== undefined ? { retryAfterSeconds: options.retryAfterSeconds } : {}),
    scryptN: 2 ** 10,
  });
  const caCertPem = await (await fetch(`${running.url}/ca.pem`)).text();
  return {
    ...running,
    dataDir,
    caCertPem,
    dispose: async () => {
      await running.close({ graceMs: 1000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The fields a person types into the registration form, for `email` (password {@link PASSWORD}). */
export function typedRegistrationFields(email: string): Record<string, string> {
  return {
    FirstName: 'Ada',
    MiddleName: 'B',
    LastName: 'Lovelace',
    EmailAddress: email,
    DateOfBirth: '1990-12-10',
    Password: PASSWORD,
    PasswordConfirmation: PASSWORD,
    Question1: 'First pet?',
    Answer1: 'Rex',
    Question2: 'Town?',
    Answer2: 'London',
  };
}

/**
 * What a person does with the mailed confirmation link: opens it (the page only shows who started
 * the registration; a GET confirms nothing) and presses Confirm, whose POST confirms.
 * @returns the page the POST answered, with the link back to the installer when there is one.
 */
export async function pressConfirm(link: string): Promise<string> {
  const page = await (await fetch(link)).text();
  const action = /<form method="post" action="([^"]+)">/.exec(page)?.[1]?.replace(/&amp;/g, '&');
  if (action === undefined || !page.includes('name="action" value="confirm"')) throw new Error(`no Confirm button on the confirmation page: ${page.slice(0, 300)}`);
  const url = new URL(link);
  const res = await postForm(new URL(action, url).href, { token: url.searchParams.get('token') as string, action: 'confirm' }, { origin: url.origin });
  return res.text();
}

/** Registers and confirms the account of {@link EMAIL} and redeems its code: returns the installation token. */
export async function accountWithToken(ca: TestCa): Promise<string> {
  const pkce = createPkcePair();
  const res = await postForm(`${ca.url}/index.php?id=1`, {
    ...typedRegistrationFields(EMAIL),
    continue: 'http://127.0.0.1:5000/done',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  });
  if (res.status !== 200) throw new Error(`registration answered ${res.status}`);
  const mails = (await (await fetch(`${ca.url}/dev/mailbox.json?to=${encodeURIComponent(EMAIL)}`)).json()) as Array<{ text: string }>;
  const link = /https?:\/\/\S+id=confirm&token=[A-Za-z0-9_-]+/.exec(mails[0]?.text ?? '')?.[0];
  if (!link) throw new Error('no confirmation link in the mailbox');
  const page = await pressConfirm(link);
  const href = /<a href="([^"]*)">Please click here to continue with the Installation Wizard<\/a>/.exec(page)?.[1]?.replace(/&amp;/g, '&');
  const code = new URL(href as string).searchParams.get('code') as string;
  const token = await postForm(`${ca.url}/api/wizard/token`, { code, code_verifier: pkce.verifier });
  return ((await token.json()) as { installation_token: string }).installation_token;
}

/** Approves a pending request as the owner does: logged in on the account page, with its CSRF token. */
export async function approveOnAccountPage(ca: TestCa, requestId: string, email = EMAIL): Promise<void> {
  await decideOnAccountPage(ca, requestId, 'approve', email);
}

/** Approves or discards a pending request on the account page of `email` (password {@link PASSWORD}). */
export async function decideOnAccountPage(ca: TestCa, requestId: string, decision: 'approve' | 'discard', email = EMAIL): Promise<void> {
  const login = await postForm(`${ca.url}/login`, { EmailAddress: email, Password: PASSWORD });
  const cookie = (login.headers.get('set-cookie') as string).split(';')[0] as string;
  const page = await (await fetch(`${ca.url}/account`, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string;
  const res = await postForm(`${ca.url}/account/requests/${requestId}/${decision}`, { csrf }, { cookie });
  if (res.status !== 303) throw new Error(`${decision} answered ${res.status}`);
}

/** Rejects a pending request with `reason`, as an approver would (the store's own transition; the page has no reject button). */
export function rejectInStore(ca: TestCa, requestId: string, reason: string): void {
  const db = openDatabase(ca.dataDir);
  try {
    if (!new CertificateRequestStore(db).transition(1, requestId, 'pending', 'rejected', reason)) throw new Error('not pending');
  } finally {
    db.close();
  }
}

/** The status column of a stored request. */
export function storedStatus(ca: TestCa, requestId: string): string | undefined {
  const db = openDatabase(ca.dataDir);
  try {
    return new CertificateRequestStore(db).get(requestId)?.status;
  } finally {
    db.close();
  }
}
