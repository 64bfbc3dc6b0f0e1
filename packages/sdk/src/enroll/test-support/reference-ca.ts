/**
 * Test fixture: the shared test CA (`@certwizard/server-reference/testing`), with a confirmed
 * account and an installation token made over HTTP as a user would, the confirmation page's
 * Confirm button and the account page's Approve button.
 */
import { parseCrl, type RevokedEntry } from '@certwizard/pki';
import { createPkcePair } from '@certwizard/protocol';
import { startTestCa as startSharedTestCa, type TestCa, type TestCaOptions } from '@certwizard/server-reference/testing';

export type { TestCa };

export const EMAIL = 'ada+wizard@example.org';
export const PASSWORD = 'correct horse battery';

/**
 * Starts the shared test CA; `smtp` (`127.0.0.1:PORT`) relays its mail there; `dnsResolvers`,
 * `httpChallengePort` and `allowPrivateChallengeAddresses` point its domain checks at test servers.
 */
export function startTestCa(
  options: Pick<TestCaOptions, 'retryAfterSeconds' | 'smtp' | 'pingFrom' | 'dnsResolvers' | 'httpChallengePort' | 'allowPrivateChallengeAddresses'> = {},
): Promise<TestCa> {
  return startSharedTestCa({ commonName: 'SDK Enroll Test CA', ...options });
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
  if (action === undefined || !page.includes('name="action" value="confirm"'))
    throw new Error(`no Confirm button on the confirmation page: ${page.slice(0, 300)}`);
  const url = new URL(link);
  const res = await postForm(new URL(action, url).href, { token: url.searchParams.get('token') as string, action: 'confirm' }, { origin: url.origin });
  return res.text();
}

/** Registers and confirms the account of `email` ({@link EMAIL} by default) and redeems its code: returns the installation token. */
export async function accountWithToken(ca: TestCa, email = EMAIL): Promise<string> {
  const pkce = createPkcePair();
  const res = await postForm(`${ca.url}/index.php?id=1`, {
    ...typedRegistrationFields(email),
    continue: 'http://127.0.0.1:5000/done',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  });
  if (res.status !== 200) throw new Error(`registration answered ${res.status}`);
  const mails = (await (await fetch(`${ca.url}/dev/mailbox.json?to=${encodeURIComponent(email)}`)).json()) as Array<{ text: string }>;
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

/** Rejects a pending request with `reason`, as an approver would (through the management server; the page has no reject button). */
export function rejectInStore(ca: TestCa, requestId: string, reason: string): Promise<void> {
  return ca.rejectRequest(requestId, reason);
}

/** The status of a stored request, from the management server. */
export async function storedStatus(ca: TestCa, requestId: string): Promise<string | undefined> {
  return (await ca.request(requestId))?.status;
}

/** The entry of `serialHex` on the CRL the CA serves now, or `undefined` when it is not listed. */
export async function crlEntry(ca: TestCa, serialHex: string): Promise<RevokedEntry | undefined> {
  const crl = parseCrl(new Uint8Array(await (await fetch(`${ca.url}/crl`)).arrayBuffer()));
  return crl.revoked.find((entry) => entry.serialNumberHex === serialHex);
}
