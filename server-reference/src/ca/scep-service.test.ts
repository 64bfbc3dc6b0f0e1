/**
 * The SCEP operations (ca/scep-service.ts) against a real SQLite file, the real request service
 * and signing core, without HTTP or CMS (the endpoint's tests cover those): PKCSReq without a PIN
 * held for an operator (no account) or for the personal URL's owner, the transaction answering a
 * resent PKCSReq and CertPoll, approval and rejection, the signer checks, RenewalReq (good, new
 * names, revoked, expired, a stranger's certificate), a PKCSReq signed by our certificate as its
 * renewal (certmonger's resubmit and rekey: same transactionID, same or new key), GetCert and
 * GetCRL. Every refusal leaves every table as it was. The PIN paths need the PIN service and are
 * tested over HTTP.
 */
import { type KeyObject } from 'node:crypto';
import { createCsr, createSelfSignedCa, generateKeyPair, issueServiceCertificate, parseCertificate } from '@certwizard/pki';
import { beforeEach, describe, expect, it } from 'vitest';
import { AccountService } from '../accounts/account-service.js';
import { AccountStore } from '../accounts/account-store.js';
import { registerAccount } from '../accounts/test-support/register-account.js';
import { silentLogger } from '../log.js';
import { CertificateRequestStore } from '../store/certificate-requests.js';
import { CertificateStore } from '../store/certificate-store.js';
import { ScepTransactionStore } from '../store/scep-transaction-store.js';
import { snapshotTables, useTempDatabase } from '../store/test-support/snapshot.js';
import { CertificateAuthority } from './authority.js';
import { RequestService, SCEP_REQUESTER } from './request-service.js';
import { type ScepAnswer, ScepService } from './scep-service.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const caKey = generateKeyPair('p256');
const caCertificate = parseCertificate(
  createSelfSignedCa({
    subject: [{ type: 'CN', value: 'SCEP service test CA' }],
    privateKey: caKey.privateKey,
    notBefore: new Date(T0 - DAY),
    notAfter: new Date(T0 + 5 * 365 * DAY),
    serialNumber: Uint8Array.of(1),
  }).pem,
);
const deviceKey = generateKeyPair('p256');

const temp = useTempDatabase('certwizard-scep-service-');
let clock: number;
let held: string[];
let requests: CertificateRequestStore;
let certificates: CertificateStore;
let service: RequestService;
let scep: ScepService;
let owner: number;

beforeEach(async () => {
  clock = T0;
  held = [];
  const now = { now: () => clock };
  requests = new CertificateRequestStore(temp.sql, now);
  certificates = new CertificateStore(temp.sql, now);
  const ca = new CertificateAuthority({
    identity: { certificate: caCertificate, privateKey: caKey.privateKey },
    store: certificates,
    hooks: {},
    logger: silentLogger,
    publicUrl: 'https://ca.example.test',
    validityMs: 90 * DAY,
    now: () => new Date(clock),
  });
  service = new RequestService({ ca, requests, certificates, logger: silentLogger, notices: { held: (r) => void held.push(r.id) }, now: () => clock });
  scep = new ScepService({
    service,
    requests,
    certificates,
    transactions: new ScepTransactionStore(temp.sql),
    // No request here carries a PIN: reaching the gate would be a bug.
    pins: {
      check: () => Promise.reject(new Error('the PIN gate was asked about a request without a PIN')),
      consume: () => Promise.reject(new Error('the PIN gate was asked to consume')),
    },
    ca,
    logger: silentLogger,
    now: () => clock,
  });
  const accounts = new AccountService(new AccountStore(temp.sql), { ...now, scryptN: 2 ** 10 });
  owner = await registerAccount(accounts, { email: 'owner@example.org' });
});

/** A device: its CSR for `dns` and a self-signed signer certificate for the same key and subject (RFC 8894 §2.3). */
function device(dns: readonly string[], options: { key?: KeyObject; signerKey?: KeyObject; signerCn?: string } = {}) {
  const privateKey = options.key ?? deviceKey.privateKey;
  const csr = createCsr({ privateKey, subject: [{ type: 'CN', value: dns[0] as string }], subjectAltNames: { dns: [...dns] } });
  const signer = createSelfSignedCa({
    subject: [{ type: 'CN', value: options.signerCn ?? (dns[0] as string) }],
    privateKey: options.signerKey ?? privateKey,
    notBefore: new Date(T0 - DAY),
    notAfter: new Date(T0 + DAY),
    serialNumber: Uint8Array.of(7),
  });
  return { csrDer: csr.der, caller: { transactionId: `tx-${dns[0]}-${Math.random()}`, signerCertificateDer: signer.der } };
}

function issuedOf(answer: ScepAnswer) {
  if (answer.status !== 'SUCCESS' || !('certificatesDer' in answer)) throw new Error(`expected certificates: ${JSON.stringify(answer)}`);
  return parseCertificate(answer.certificatesDer[0] as Uint8Array);
}

async function unchanged(act: () => Promise<ScepAnswer>): Promise<ScepAnswer> {
  const before = snapshotTables(temp.db);
  const answer = await act();
  expect(snapshotTables(temp.db)).toEqual(before);
  return answer;
}

describe('PKCSReq without a PIN', () => {
  it('on /scep: held for an operator with no account; resent and polled, the same request; approved, CertPoll returns it', async () => {
    const d = device(['queued.example.org']);
    expect(await scep.pkcsReq(d.caller, d.csrDer)).toEqual({ status: 'PENDING' });
    const [record] = await requests.awaitingOperator();
    expect(record).toMatchObject({ accountId: undefined, source: 'scep', approver: 'operator', status: 'pending' });
    expect(await unchanged(() => scep.pkcsReq(d.caller, d.csrDer))).toEqual({ status: 'PENDING' });
    expect(await unchanged(() => scep.certPoll(d.caller))).toEqual({ status: 'PENDING' });
    expect(held).toEqual([record?.id]);

    const approved = await service.approve(record?.id as string, { operator: 1 });
    expect(approved.status).toBe('issued');
    const certificate = issuedOf(await scep.certPoll(d.caller));
    expect(certificate.subjectAltNames.dns).toEqual(['queued.example.org']);
    expect((await certificates.get(certificate.serialNumberHex))?.requester).toBe(SCEP_REQUESTER);
    // The resent PKCSReq now gets the certificate too.
    expect(issuedOf(await scep.pkcsReq(d.caller, d.csrDer)).der).toEqual(certificate.der);
  });

  it('two copies of one transaction at the same instant: one pending request stands, the copy is withdrawn, both answer PENDING', async () => {
    const d = device(['twice.example.org']);
    expect(await Promise.all([scep.pkcsReq(d.caller, d.csrDer), scep.pkcsReq(d.caller, d.csrDer)])).toEqual([{ status: 'PENDING' }, { status: 'PENDING' }]);
    // Whichever copy lost the transaction leaves nothing in the queue for an operator to decide.
    expect(await requests.awaitingOperator()).toHaveLength(1);
  });

  it("on a personal URL: held for that owner (the account page's pending list)", async () => {
    const d = device(['mine.example.org']);
    expect(await scep.pkcsReq({ ...d.caller, accountId: owner }, d.csrDer)).toEqual({ status: 'PENDING' });
    expect(await requests.pendingOf(owner)).toEqual([expect.objectContaining({ accountId: owner, source: 'scep', approver: 'owner' })]);
    expect(await requests.awaitingOperator()).toEqual([]);
  });

  it('rejected: CertPoll and the resent PKCSReq answer FAILURE badRequest; an unknown transaction too', async () => {
    const d = device(['refused.example.org']);
    await scep.pkcsReq(d.caller, d.csrDer);
    const [record] = await requests.awaitingOperator();
    expect((await service.reject(record?.id as string, { operator: 1 }, 'not ours')).status).toBe('rejected');
    expect(await unchanged(() => scep.certPoll(d.caller))).toEqual({ status: 'FAILURE', failInfo: 'badRequest' });
    expect(await unchanged(() => scep.pkcsReq(d.caller, d.csrDer))).toEqual({ status: 'FAILURE', failInfo: 'badRequest' });
    expect(await unchanged(() => scep.certPoll({ ...d.caller, transactionId: 'never-sent' }))).toEqual({ status: 'FAILURE', failInfo: 'badRequest' });
  });

  it('another key polling the same transactionID does not reach the request', async () => {
    const d = device(['poll.example.org']);
    await scep.pkcsReq(d.caller, d.csrDer);
    const stranger = device(['poll.example.org'], { key: generateKeyPair('p256').privateKey });
    expect(await scep.certPoll({ ...stranger.caller, transactionId: d.caller.transactionId })).toEqual({ status: 'FAILURE', failInfo: 'badRequest' });
  });

  it('refuses a signer for another key (badMessageCheck), for another subject, a non-request and addresses (badRequest), storing nothing', async () => {
    const otherKey = device(['a.example.org'], { signerKey: generateKeyPair('p256').privateKey });
    expect(await unchanged(() => scep.pkcsReq(otherKey.caller, otherKey.csrDer))).toEqual({ status: 'FAILURE', failInfo: 'badMessageCheck' });
    const otherSubject = device(['a.example.org'], { signerCn: 'b.example.org' });
    expect(await unchanged(() => scep.pkcsReq(otherSubject.caller, otherSubject.csrDer))).toEqual({ status: 'FAILURE', failInfo: 'badRequest' });
    expect(await unchanged(() => scep.pkcsReq(otherSubject.caller, Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)))).toEqual({
      status: 'FAILURE',
      failInfo: 'badRequest',
    });
    const mail = createCsr({
      privateKey: deviceKey.privateKey,
      subject: [{ type: 'CN', value: 'a.example.org' }],
      subjectAltNames: { email: ['a@example.org'] },
    });
    expect(await unchanged(() => scep.pkcsReq(device(['a.example.org']).caller, mail.der))).toEqual({ status: 'FAILURE', failInfo: 'badRequest' });
  });
});

describe('RenewalReq, GetCert, GetCRL', () => {
  async function issue(dns: string, key: KeyObject) {
    const d = device([dns], { key });
    await scep.pkcsReq(d.caller, d.csrDer);
    const [record] = await requests.awaitingOperator();
    await service.approve(record?.id as string, { operator: 1 });
    return issuedOf(await scep.certPoll(d.caller));
  }

  function renewal(old: ReturnType<typeof parseCertificate>, oldKey: KeyObject, dns: readonly string[]) {
    const csr = createCsr({
      privateKey: generateKeyPair('p256').privateKey,
      subject: [{ type: 'CN', value: dns[0] as string }],
      subjectAltNames: { dns: [...dns] },
    });
    return { caller: { transactionId: `renew-${Math.random()}`, signerCertificateDer: old.der }, csrDer: csr.der };
  }

  it('renews for the old subject and names; refuses new names, a revoked, an expired and a stranger signer', async () => {
    const key = generateKeyPair('p256').privateKey;
    const old = await issue('renew.example.org', key);
    const good = renewal(old, key, ['renew.example.org']);
    const renewed = issuedOf(await scep.renewalReq(good.caller, good.csrDer));
    expect(renewed.subjectAltNames.dns).toEqual(['renew.example.org']);
    expect(renewed.serialNumberHex).not.toBe(old.serialNumberHex);
    // Resent: the same certificate, no third one.
    expect(issuedOf(await unchanged(() => scep.renewalReq(good.caller, good.csrDer))).der).toEqual(renewed.der);

    const wider = renewal(old, key, ['renew.example.org', 'more.example.org']);
    expect(await unchanged(() => scep.renewalReq(wider.caller, wider.csrDer))).toEqual({ status: 'FAILURE', failInfo: 'badRequest' });
    const stranger = device(['renew.example.org']);
    expect(await unchanged(() => scep.renewalReq(stranger.caller, stranger.csrDer))).toEqual({ status: 'FAILURE', failInfo: 'badCertId' });

    await service.revoke(old.serialNumberHex, { reason: 'superseded' });
    const afterRevocation = renewal(old, key, ['renew.example.org']);
    expect(await unchanged(() => scep.renewalReq(afterRevocation.caller, afterRevocation.csrDer))).toEqual({ status: 'FAILURE', failInfo: 'badRequest' });

    clock += 91 * DAY;
    const late = renewal(renewed, key, ['renew.example.org']);
    expect(await unchanged(() => scep.renewalReq(late.caller, late.csrDer))).toEqual({ status: 'FAILURE', failInfo: 'badRequest' });
  });

  it('GetCert by issuer and serial (badCertId for an unknown serial or another issuer); GetCRL the current CRL', async () => {
    const issued = await issue('get.example.org', generateKeyPair('p256').privateKey);
    expect(issuedOf(await scep.getCert({ issuerDer: caCertificate.subjectDer, serialHex: issued.serialNumberHex })).der).toEqual(issued.der);
    expect(await scep.getCert({ issuerDer: caCertificate.subjectDer, serialHex: '0badc0de' })).toEqual({ status: 'FAILURE', failInfo: 'badCertId' });
    expect(await scep.getCert({ issuerDer: issued.subjectDer, serialHex: issued.serialNumberHex })).toEqual({ status: 'FAILURE', failInfo: 'badCertId' });
    const crl = await scep.getCrl({ issuerDer: caCertificate.subjectDer, serialHex: issued.serialNumberHex });
    expect(crl.status).toBe('SUCCESS');
    expect('crlDer' in crl && crl.crlDer.length > 0).toBe(true);
  });
});

describe('PKCSReq signed by a certificate of this CA (how certmonger renews)', () => {
  /** A first enrolment, held, approved and polled: the device, its transaction and its certificate. */
  async function enrolled(dns: string, key: KeyObject) {
    const d = device([dns], { key });
    await scep.pkcsReq(d.caller, d.csrDer);
    const [record] = await requests.awaitingOperator();
    await service.approve(record?.id as string, { operator: 1 });
    return { ...d, certificate: issuedOf(await scep.certPoll(d.caller)) };
  }

  /** A PKCSReq for `dns` by `key` in transaction `transactionId`, signed by the certificate `signer`. */
  function signedBy(signer: ReturnType<typeof parseCertificate>, transactionId: string, dns: readonly string[], key: KeyObject) {
    const csr = createCsr({ privateKey: key, subject: [{ type: 'CN', value: dns[0] as string }], subjectAltNames: { dns: [...dns] } });
    return { caller: { transactionId, signerCertificateDer: signer.der }, csrDer: csr.der };
  }

  it('resubmit (same key, same transactionID): a new certificate, its own transaction; resent and polled, the same one', async () => {
    const key = generateKeyPair('p256').privateKey;
    const first = await enrolled('resubmit.example.org', key);
    const again = signedBy(first.certificate, first.caller.transactionId, ['resubmit.example.org'], key);
    const renewed = issuedOf(await scep.pkcsReq(again.caller, again.csrDer));
    expect(renewed.serialNumberHex).not.toBe(first.certificate.serialNumberHex);
    expect(renewed.subjectAltNames.dns).toEqual(['resubmit.example.org']);
    expect(renewed.publicKeyDer).toEqual(first.certificate.publicKeyDer);
    expect((await certificates.get(renewed.serialNumberHex))?.requester).toBe(SCEP_REQUESTER);
    // Resent with the same signer certificate: the same answer, no third certificate.
    expect(issuedOf(await unchanged(() => scep.pkcsReq(again.caller, again.csrDer))).der).toEqual(renewed.der);
    expect(issuedOf(await unchanged(() => scep.certPoll(again.caller))).der).toEqual(renewed.der);
    // The first enrolment (self-signed signer) is still its own transaction.
    expect(issuedOf(await unchanged(() => scep.pkcsReq(first.caller, first.csrDer))).der).toEqual(first.certificate.der);
    expect(issuedOf(await unchanged(() => scep.certPoll(first.caller))).der).toEqual(first.certificate.der);
  });

  it('rekey (new key, signed by the old certificate and key): a new certificate for the new key', async () => {
    const first = await enrolled('rekey.example.org', generateKeyPair('p256').privateKey);
    const fresh = generateKeyPair('p256');
    const rekey = signedBy(first.certificate, `rekey-${Math.random()}`, ['rekey.example.org'], fresh.privateKey);
    const renewed = issuedOf(await scep.pkcsReq(rekey.caller, rekey.csrDer));
    expect(renewed.serialNumberHex).not.toBe(first.certificate.serialNumberHex);
    expect(Buffer.from(renewed.publicKeyDer)).toEqual(fresh.publicKey.export({ type: 'spki', format: 'der' }));
  });

  it("refuses new names, another subject, a revoked and an expired signer (badRequest), and a foreign CA's certificate (badMessageCheck), storing nothing", async () => {
    const key = generateKeyPair('p256').privateKey;
    const first = await enrolled('limits.example.org', key);
    const wider = signedBy(first.certificate, `w-${Math.random()}`, ['limits.example.org', 'more.example.org'], key);
    expect(await unchanged(() => scep.pkcsReq(wider.caller, wider.csrDer))).toEqual({ status: 'FAILURE', failInfo: 'badRequest' });
    const renamed = signedBy(first.certificate, `n-${Math.random()}`, ['other.example.org'], key);
    expect(await unchanged(() => scep.pkcsReq(renamed.caller, renamed.csrDer))).toEqual({ status: 'FAILURE', failInfo: 'badRequest' });

    // Another CA's certificate for the request's own key and subject: neither ours nor self-signed.
    const foreignKey = generateKeyPair('p256');
    const foreignCa = parseCertificate(
      createSelfSignedCa({
        subject: [{ type: 'CN', value: 'Foreign CA' }],
        privateKey: foreignKey.privateKey,
        notBefore: new Date(T0 - DAY),
        notAfter: new Date(T0 + 365 * DAY),
        serialNumber: Uint8Array.of(2),
      }).pem,
    );
    const foreign = parseCertificate(
      issueServiceCertificate({
        issuer: { certificate: foreignCa, privateKey: foreignKey.privateKey },
        subject: [{ type: 'CN', value: 'limits.example.org' }],
        publicKey: deviceKey.publicKey,
        serialNumber: Uint8Array.of(3),
        notBefore: new Date(T0 - DAY),
        notAfter: new Date(T0 + DAY),
        keyUsage: ['digitalSignature'],
      }).pem,
    );
    const stranger = signedBy(foreign, `f-${Math.random()}`, ['limits.example.org'], deviceKey.privateKey);
    expect(await unchanged(() => scep.pkcsReq(stranger.caller, stranger.csrDer))).toEqual({ status: 'FAILURE', failInfo: 'badMessageCheck' });

    const dated = await enrolled('dated.example.org', generateKeyPair('p256').privateKey);
    await service.revoke(first.certificate.serialNumberHex, { reason: 'superseded' });
    const revoked = signedBy(first.certificate, first.caller.transactionId, ['limits.example.org'], key);
    expect(await unchanged(() => scep.pkcsReq(revoked.caller, revoked.csrDer))).toEqual({ status: 'FAILURE', failInfo: 'badRequest' });
    clock += 91 * DAY;
    const expired = signedBy(dated.certificate, dated.caller.transactionId, ['dated.example.org'], generateKeyPair('p256').privateKey);
    expect(await unchanged(() => scep.pkcsReq(expired.caller, expired.csrDer))).toEqual({ status: 'FAILURE', failInfo: 'badRequest' });
  });
});
