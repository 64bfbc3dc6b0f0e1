/**
 * Remote phishing of the registration (RFC 8628 §5.4), replayed over real HTTP: an attacker
 * starts a registration for the victim's address (own ticket, own PKCE pair, a request for its
 * own key) and gets the confirmation link in front of the victim. A mail scanner fetching the
 * link must confirm nothing; the victim's page must say who started the flow (the user code,
 * when, from where) and what confirming it would issue (names, key); "This was not me" deletes
 * it. The attack ends with no certificate and no token.
 */
import { createCsr, formatFingerprint, generateKeyPair, parseCsr, sha256Hex } from '@certwizard/pki';
import { createPkcePair } from '@certwizard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { confirmAsPerson, confirmationLink, isItDone, postForm, registrationFields } from './support/registration-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

const VICTIM = 'victim@example.org';

let ca: TestCa | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

/** A key's SHA-256 as the pages show it: byte pairs that wrap only after each `:`. */
const shownFingerprint = (formatted: string) => `<p class="fingerprint"><code class="fp">${formatted.split(':').join(':<wbr>')}</code></p>`;

/** The attacker's side: a ticket with its user code, a PKCE pair, and a registration posted for the victim's address. */
async function attackerRegisters(c: TestCa): Promise<{ ticket: string; userCode: string; verifier: string; keyFingerprint: string }> {
  const res = await fetch(`${c.url}/index.php?id=givemeaticket`, { headers: { accept: 'application/json' } });
  const { ticket, user_code: userCode } = (await res.json()) as { ticket: string; user_code: string };
  const pkce = createPkcePair();
  const key = generateKeyPair('p256');
  const csr = createCsr({ privateKey: key.privateKey, subjectAltNames: { email: [VICTIM] } });
  const keyFingerprint = formatFingerprint(sha256Hex(parseCsr(csr.pem).publicKeyDer));
  const page = await (await fetch(`${c.url}/index.php?id=1&ticket=${ticket}&CSR=${encodeURIComponent(csr.pem)}`)).text();
  // The page the victim would be lured to shows the attacker's code (not one of an installer of
  // the victim's), when and where the flow began, and what it asks for.
  expect(page).toContain(`<p class="user-code">${userCode}</p>`);
  expect(page).toMatch(/It was started on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC from the address 127\.0\.0\.1\./);
  expect(page).toContain(`<strong>${VICTIM}</strong>`);
  expect(page).toContain(shownFingerprint(keyFingerprint));
  const posted = await postForm(`${c.url}/index.php?id=1`, {
    ...registrationFields({ EmailAddress: VICTIM }),
    ticket,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    CSR: csr.pem,
  });
  expect(posted.status).toBe(200);
  return { ticket, userCode, verifier: pkce.verifier, keyFingerprint };
}

describe('remote phishing of the registration (hardening 1, RFC 8628 §5.4)', () => {
  it('a mail scanner fetching the confirmation link confirms nothing: no code, no token, no certificate', async () => {
    ca = await startTestCa();
    const attack = await attackerRegisters(ca);
    const link = await confirmationLink(ca.url, VICTIM);
    const before = await ca.counts();
    // What scanners and link previews send: GET (twice) and HEAD.
    for (const method of ['GET', 'GET', 'HEAD']) expect((await fetch(link, { method })).status).toBe(200);
    expect(await ca.counts()).toEqual(before);
    expect(await isItDone(ca, attack.ticket)).toEqual({ status: 'pending' });
    expect(before.certificates).toBe(0);
    expect(before.installation_tokens).toBe(0);
    expect(before.authorization_codes).toBe(0);
  });

  it("the victim's page says who started the flow and what it would issue; 'This was not me' deletes it", async () => {
    ca = await startTestCa();
    const attack = await attackerRegisters(ca);
    const link = await confirmationLink(ca.url, VICTIM);
    const refused = await confirmAsPerson(link, 'reject');
    // The page before the button: the attacker's user code, the start, the names and the key.
    expect(refused.page).toContain(`<p class="user-code">${attack.userCode}</p>`);
    expect(refused.page).toContain('Confirm only if your installer shows the same code.');
    expect(refused.page).toMatch(/It was started on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC from the address 127\.0\.0\.1\./);
    expect(refused.page).toContain(`<strong>${VICTIM}</strong>`);
    expect(refused.page).toContain(shownFingerprint(attack.keyFingerprint));
    expect(refused.page).toContain('ECDSA P-256');
    // The refusal: nothing confirmed, the pending account and its request gone, the ticket cancelled.
    expect(refused.status).toBe(200);
    expect(refused.text).toContain('Nothing was confirmed');
    expect(await isItDone(ca, attack.ticket)).toEqual({ status: 'error', reason: 'cancelled' });
    const counts = await ca.counts();
    expect({ accounts: counts.accounts, requests: counts.certificate_requests, certificates: counts.certificates, tokens: counts.installation_tokens }).toEqual(
      {
        accounts: 0,
        requests: 0,
        certificates: 0,
        tokens: 0,
      },
    );
    // The link is dead now; the address is free for its owner.
    expect((await fetch(link)).status).toBe(404);
    expect((await postForm(`${ca.url}/index.php?id=1`, registrationFields({ EmailAddress: VICTIM }))).status).toBe(200);
  });

  it('only the explicit POST of Confirm issues the request sent with the registration', async () => {
    ca = await startTestCa();
    const attack = await attackerRegisters(ca);
    const link = await confirmationLink(ca.url, VICTIM);
    await fetch(link);
    expect((await ca.counts()).certificates).toBe(0);
    // A POST from another site (a form the attacker hosts) is refused, changing nothing.
    const before = await ca.counts();
    const token = new URL(link).searchParams.get('token') as string;
    const foreign = await postForm(`${ca.url}/index.php?id=confirm`, { token, action: 'confirm' }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await ca.counts()).toEqual(before);
    // A POST without a button, or with two, is refused too.
    expect((await postForm(`${ca.url}/index.php?id=confirm`, { token })).status).toBe(400);
    expect(
      (
        await postForm(`${ca.url}/index.php?id=confirm`, [
          ['token', token],
          ['action', 'confirm'],
          ['action', 'reject'],
        ])
      ).status,
    ).toBe(400);
    expect(await ca.counts()).toEqual(before);
    // The person's explicit consent: now, and only now, the code and the certificate exist.
    const confirmed = await confirmAsPerson(link);
    expect(confirmed.text).toContain('Your request was processed.');
    expect((await ca.counts()).certificates).toBe(1);
    expect(await isItDone(ca, attack.ticket)).toMatchObject({ status: 'done', emailAddress: VICTIM });
  });
});
