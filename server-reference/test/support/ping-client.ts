/**
 * Test helpers for the email ping: nonces, the token of a ping's link, the machine confirmation,
 * the address ping request, and a snapshot of every table to prove that a refusal changed nothing.
 */
import { randomBytes } from 'node:crypto';
import type { SunkMail } from './smtp-sink.js';
import type { TestCa } from './test-ca.js';

/** The ping address the tests configure. */
export const PING_FROM = 'ping@ca.test';

/** A fresh nonce as a mail server's nonce book makes one: 32 random bytes, base64url. */
export function newNonce(): string {
  return randomBytes(32).toString('base64url');
}

/** The token of the ping link in a mail (`<public URL>/ping/confirm?token=...`). */
export function pingTokenOf(ca: Pick<TestCa, 'publicUrl'>, mail: SunkMail): string {
  const text = mail.parsed.text ?? '';
  const escaped = ca.publicUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const token = new RegExp(`^${escaped}/ping/confirm\\?token=([A-Za-z0-9_-]+)$`, 'm').exec(text)?.[1];
  if (token === undefined) throw new Error('no ping link in the mail');
  return token;
}

/** The link of a mail's `/index.php?id=confirm` confirmation (a registration without PingNonce). */
export function confirmLinkOf(mail: SunkMail): string {
  const link = /https?:\/\/\S+id=confirm&token=[A-Za-z0-9_-]+/.exec(mail.parsed.text ?? '')?.[0];
  if (link === undefined) throw new Error('no confirmation link in the mail');
  return link;
}

/** A JSON answer. */
export interface JsonAnswer {
  readonly status: number;
  readonly json: { status?: string; email?: string; error?: { code: string; message: string } };
  readonly headers: Headers;
}

/** POSTs a form and reads the JSON answer. */
export async function postJson(url: string, body: string, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return { status: res.status, json: (await res.json()) as JsonAnswer['json'], headers: res.headers };
}

/** `POST /api/ping/confirm` with `token` and `nonce`. */
export function confirmByMachine(ca: Pick<TestCa, 'url'>, token: string, nonce: string): Promise<JsonAnswer> {
  return postJson(`${ca.url}/api/ping/confirm`, new URLSearchParams({ token, nonce }).toString());
}

/** `POST /api/addresses` with the installation token (none when `bearer` is undefined). */
export function askForPing(ca: Pick<TestCa, 'url'>, bearer: string | undefined, fields: Record<string, string> | Array<[string, string]>): Promise<JsonAnswer> {
  return postJson(`${ca.url}/api/addresses`, new URLSearchParams(fields).toString(), bearer !== undefined ? { authorization: `Bearer ${bearer}` } : {});
}

/**
 * Every row of every table of the CA's database (through its management server), to compare
 * before and after a refusal; except an installation token's "last used" time, which every
 * valid use of the token updates (docs/protocol.md, CAcert-style request API).
 */
export async function dbSnapshot(ca: Pick<TestCa, 'rows'>): Promise<Record<string, unknown[]>> {
  const out = await ca.rows();
  out.installation_tokens = (out.installation_tokens as Array<Record<string, unknown>>).map(({ last_used_at_ms: _used, ...row }) => row);
  return out;
}
