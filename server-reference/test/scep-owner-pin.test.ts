/**
 * An owner's PIN on the owner's personal SCEP URL issues at once (issue 15: "a PIN made by the
 * owner issues at once"), where the same URL without a PIN holds the request for the owner.
 * Over real HTTP: the account page makes the URL and the PIN, a device sends a PKCSReq built
 * with the codec's client functions.
 */
import { randomBytes } from 'node:crypto';
import { createCsr, parseCertificate } from '@certwizard/pki';
import { createTransientSigner, type ScepReply } from '@certwizard/scep';
import { afterEach, describe, expect, it } from 'vitest';
import { accountWithToken, PASSWORD } from './support/cacert-client.js';
import { postForm } from './support/registration-client.js';
import { SHARED_RSA, ScepTestClient, subjectDerOfCsr } from './support/scep-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

let ca: TestCa | undefined;
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

/** Logs the owner in; their cookie, the page's CSRF token and a page reader. */
async function ownerSession(c: TestCa, email: string) {
  const cookie = ((await postForm(`${c.url}/login`, { EmailAddress: email, Password: PASSWORD })).headers.get('set-cookie') as string).split(';')[0] as string;
  const page = async () => (await fetch(`${c.url}/account`, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page())?.[1] as string;
  return { cookie, csrf, page, origin: new URL(c.url).origin };
}

/** A device's PKCSReq for the owner's address as subject, with `pin` as challengePassword when given. */
function device(email: string, pin?: string) {
  const csr = createCsr({
    privateKey: SHARED_RSA.privateKey,
    subject: [
      { type: 'CN', value: email },
      { type: 'emailAddress', value: email },
    ],
    // SCEP certificates name DNS names only (ca/scep-policy.ts): the address rides in the subject.
    subjectAltNames: {},
    ...(pin === undefined ? {} : { challengePassword: pin }),
  });
  const signer = createTransientSigner({ privateKey: SHARED_RSA.privateKey, subjectDer: subjectDerOfCsr(csr.der) });
  return { csrDer: csr.der, signer, transactionId: randomBytes(20).toString('hex') };
}

const statusOf = (reply: ScepReply) => reply.status;

describe("an owner's PIN on the owner's personal SCEP URL", () => {
  it('issues at once; without the PIN the same URL holds the request for the owner', async () => {
    ca = await startTestCa();
    const { email } = await accountWithToken(ca);
    const s = await ownerSession(ca, email);
    expect((await postForm(`${ca.url}/account/scep/url`, { csrf: s.csrf }, { cookie: s.cookie, origin: s.origin })).status).toBe(303);
    const url = /<code id="scep-url">([^<]+)<\/code>/.exec(await s.page())?.[1] as string;
    const made = await postForm(`${ca.url}/account/scep-pins`, { csrf: s.csrf, subject: `CN=${email}, E=${email}` }, { cookie: s.cookie, origin: s.origin });
    expect(made.status).toBe(200);
    const pin = /<pre id="scep-pin">([A-Za-z0-9_-]{24})<\/pre>/.exec(made.text)?.[1] as string;
    expect(pin).toBeDefined();

    const client = new ScepTestClient(url);
    const held = device(email);
    const heldReply = await client.send('PKCSReq', held.csrDer, held);
    expect(statusOf(heldReply), JSON.stringify(heldReply)).toBe('PENDING');

    const withPin = device(email, pin);
    const reply = await client.send('PKCSReq', withPin.csrDer, withPin);
    expect(reply.status, JSON.stringify(reply)).toBe('SUCCESS');
    const [leaf] = 'certificatesDer' in reply ? reply.certificatesDer : [];
    const certificate = parseCertificate(leaf as Uint8Array);
    expect(certificate.subject).toContainEqual({ type: 'emailAddress', value: email });
    const requests = (await ca.rows()).certificate_requests as Array<{ status: string; account_id: number | null; source: string }>;
    const owner = (await ca.account(email))?.id;
    expect(requests.map((r) => [r.status, r.account_id, r.source]).sort()).toEqual([
      ['issued', owner, 'scep'],
      ['pending', owner, 'scep'],
    ]);
    expect((await ca.rows()).scep_pins).toEqual([expect.objectContaining({ used_at_ms: expect.any(Number) })]);
  });
});
