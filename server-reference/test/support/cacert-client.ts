/**
 * Test helpers for the CAcert-style API: accounts registered and confirmed over HTTP (with an
 * installation token), and API calls.
 */
import { createPkcePair } from '@certwizard/protocol';
import { confirmAsPerson, confirmationLink, linkHref, postForm, registrationFields } from './registration-client.js';
import type { TestCa } from './test-ca.js';

/** The password of every test account. */
export const PASSWORD = 'correct horse battery';

/**
 * Registers an account, confirms it and redeems the code: a confirmed account with one
 * installation token. `fields` overrides the registration form (e.g. EmailAddress).
 * `linkOf` finds the confirmation link mailed to an address; default the dev mailbox.
 */
export async function accountWithToken(
  ca: TestCa,
  fields: Record<string, string> = {},
  linkOf: (email: string) => string | Promise<string> = (email) => confirmationLink(ca.url, email),
): Promise<{ email: string; token: string }> {
  const pkce = createPkcePair();
  const form = registrationFields(fields);
  const email = form.EmailAddress as string;
  const res = await postForm(`${ca.url}/index.php?id=1`, {
    ...form,
    continue: 'http://127.0.0.1:5000/done',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  });
  if (res.status !== 200) throw new Error(`registration answered ${res.status}`);
  const page = (await confirmAsPerson(await linkOf(email))).text;
  const code = new URL(linkHref(page, 'Please click here to continue with the Installation Wizard') as string).searchParams.get('code') as string;
  const token = await postForm(`${ca.url}/api/wizard/token`, { code, code_verifier: pkce.verifier });
  return { email, token: (JSON.parse(token.text) as { installation_token: string }).installation_token };
}

/** Calls a text endpoint of the API with form fields (POST) or query (GET). */
export async function callApi(
  ca: TestCa,
  path: string,
  fields: Record<string, string>,
  options: { method?: 'GET' | 'POST' | 'PUT'; bearer?: string; contentType?: string } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const method = options.method ?? 'POST';
  const query = new URLSearchParams(fields).toString();
  const headers: Record<string, string> = {};
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  if (method !== 'GET') headers['content-type'] = options.contentType ?? 'application/x-www-form-urlencoded';
  const res = await fetch(method === 'GET' ? `${ca.url}${path}?${query}` : `${ca.url}${path}`, {
    method,
    headers,
    ...(method === 'GET' ? {} : { body: query }),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}
