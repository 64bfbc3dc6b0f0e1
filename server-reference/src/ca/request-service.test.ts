/**
 * The request service against a real SQLite file and the real signing core: what each policy
 * stores, that a resent request is answered from what is stored and stores nothing new, that a
 * refusal leaves every table as it was, that a pending request is decided once, and revocation.
 */
import { createHash } from 'node:crypto';
import { createCsr, createSelfSignedCa, generateKeyPair, parseCertificate, parseCertificateChain, parseCrl, type SubjectAltNames } from '@certwizard/pki';
import { CSR_API_ERRORS } from '@certwizard/protocol';
import { beforeEach, describe, expect, it } from 'vitest';
import { badCsrCases } from '../../../packages/pki/src/test-support/bad-csrs.js';
import { AccountService } from '../accounts/account-service.js';
import { type Account, AccountStore } from '../accounts/account-store.js';
import { EnrollmentSecretService } from '../accounts/enrollment-secret-service.js';
import { EnrollmentSecretStore } from '../accounts/enrollment-secrets.js';
import { registerAccount } from '../accounts/test-support/register-account.js';
import { createLogger, silentLogger } from '../log.js';
import { CertificateRequestStore } from '../store/certificate-requests.js';
import { CertificateStore } from '../store/certificate-store.js';
import { tableCounts } from '../store/table-rows.js';
import { snapshotTables, useTempDatabase } from '../store/test-support/snapshot.js';
import { CACERT_CODE_OF } from '../wfe/cacert-api/answer-writer.js';
import { CSR_API_CODE_OF } from '../wfe/csr-api/refusal-answer.js';
import { CertificateAuthority } from './authority.js';
import { emailCertificatePolicy } from './email-certificate-policy.js';
import { enrollmentSecretPolicy } from './enrollment-secret-policy.js';
import type { CaHooks } from './hooks.js';
import { isRefusal, type RefusalReason } from './refusal.js';
import { registrationPolicy } from './registration-request.js';
import type { RequestDecision } from './request-notices.js';
import { type Requester, RequestService, type SubmitOutcome } from './request-service.js';
import { SERVER_CERTIFICATE_POLICY } from './server-certificate-policy.js';
import { SSL_API_POLICY } from './ssl-api-policy.js';
import type { SubmissionPolicy } from './submission-policy.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const ADA = 'ada@example.org';

// One CA for the whole file: the identity is not what is tested, and RSA or EC key generation
// per test would only slow the table down.
const caKey = generateKeyPair('p256');
const caCertificate = parseCertificate(
  createSelfSignedCa({
    subject: [{ type: 'CN', value: 'Request service test CA' }],
    privateKey: caKey.privateKey,
    notBefore: new Date(T0 - DAY),
    notAfter: new Date(T0 + 5 * 365 * DAY),
    serialNumber: Uint8Array.of(1),
  }).pem,
);
const requestKey = generateKeyPair('p256');
const csrFor = (subjectAltNames: Partial<SubjectAltNames>, privateKey = requestKey.privateKey) => createCsr({ privateKey, subjectAltNames });

const temp = useTempDatabase('certwizard-request-service-');
let clock: number;
let hooks: CaHooks;
let held: string[];
let decided: Array<{ id: string; decision: RequestDecision }>;
let stores: { accounts: AccountService; requests: CertificateRequestStore; certificates: CertificateStore; secrets: EnrollmentSecretService };
let ca: CertificateAuthority;
let service: RequestService;
let ada: Account;
let bob: Account;

beforeEach(async () => {
  clock = T0;
  hooks = {};
  held = [];
  decided = [];
  const now = { now: () => clock };
  stores = {
    accounts: new AccountService(new AccountStore(temp.sql), { ...now, scryptN: 2 ** 10 }),
    requests: new CertificateRequestStore(temp.sql, now),
    certificates: new CertificateStore(temp.sql, now),
    secrets: new EnrollmentSecretService(new EnrollmentSecretStore(temp.sql), now),
  };
  ca = new CertificateAuthority({
    identity: { certificate: caCertificate, privateKey: caKey.privateKey },
    store: stores.certificates,
    hooks,
    logger: silentLogger,
    publicUrl: 'https://ca.example.test',
    validityMs: 90 * 86_400_000,
    now: () => new Date(clock),
  });
  service = new RequestService({
    ca,
    requests: stores.requests,
    certificates: stores.certificates,
    logger: silentLogger,
    notices: {
      held: (record) => void held.push(record.id),
      decided: (record, decision) => void decided.push({ id: record.id, decision }),
    },
    now: () => clock,
  });
  ada = (await stores.accounts.get(await registerAccount(stores.accounts, { email: ADA }))) as Account;
  bob = (await stores.accounts.get(await registerAccount(stores.accounts, { email: 'bob@example.org' }))) as Account;
  // byPassword and byInstallation name account 1.
  expect(ada.id).toBe(1);
});

const snapshot = () => snapshotTables(temp.db);
const counts = () => tableCounts(temp.db);
const ccsrPolicy = (credential: 'password' | 'installation', fields: Partial<{ email: string; name: string; codeSigning: boolean }> = {}) =>
  emailCertificatePolicy(ada, [ada.email], { email: ADA, name: 'Ada Lovelace', codeSigning: false, ...fields }, credential);
const byPassword: Requester = { accountId: 1, source: 'ccsr' };
const byInstallation: Requester = { accountId: 1, source: 'installation' };

function refusalReason(outcome: SubmitOutcome | { status: string }): RefusalReason | undefined {
  return isRefusal(outcome) ? outcome.reason : undefined;
}

describe('submit', () => {
  const cases: Array<{
    name: string;
    csr: () => Uint8Array | string;
    requester: () => Requester;
    policy: () => SubmissionPolicy | Promise<SubmissionPolicy>;
    want: {
      status: 'issued' | 'pending';
      recorded?: { source: string; approver: string; status: string };
      certificates: number;
      requests: number;
      held: number;
    };
  }> = [
    {
      name: 'ssl_api: issues the names the request asks, and keeps no request record',
      csr: () => csrFor({ dns: ['www.example.test'] }).pem,
      requester: () => ({ client: 'alpha' }),
      policy: () => SSL_API_POLICY,
      want: { status: 'issued', certificates: 1, requests: 0, held: 0 },
    },
    {
      name: 'ccsr with the password: issued at once and recorded',
      csr: () => csrFor({ email: [ADA] }).der,
      requester: () => byPassword,
      policy: () => ccsrPolicy('password'),
      want: { status: 'issued', recorded: { source: 'ccsr', approver: 'owner', status: 'issued' }, certificates: 1, requests: 1, held: 0 },
    },
    {
      name: 'ccsr with an installation token: held for the owner, who is told',
      csr: () => csrFor({ email: [ADA] }).pem,
      requester: () => byInstallation,
      policy: () => ccsrPolicy('installation'),
      want: { status: 'pending', recorded: { source: 'installation', approver: 'owner', status: 'pending' }, certificates: 0, requests: 1, held: 1 },
    },
    {
      name: 'a server certificate: held for an operator, whoever sends it',
      csr: () => csrFor({ dns: ['www.example.org'] }).pem,
      requester: () => byPassword,
      policy: () => SERVER_CERTIFICATE_POLICY,
      want: { status: 'pending', recorded: { source: 'ccsr', approver: 'operator', status: 'pending' }, certificates: 0, requests: 1, held: 1 },
    },
    {
      name: 'a registration: held for the owner',
      csr: () => csrFor({ email: ['prefilled@example.org'] }).pem,
      requester: () => ({ accountId: ada.id, source: 'registration' }),
      policy: () => registrationPolicy(ada),
      want: { status: 'pending', recorded: { source: 'registration', approver: 'owner', status: 'pending' }, certificates: 0, requests: 1, held: 1 },
    },
    {
      name: 'an enrollment secret: issued at once, the secret used up',
      csr: () => csrFor({ email: [ADA] }).pem,
      requester: () => ({ accountId: ada.id, source: 'enrollment_secret' }),
      policy: async () =>
        enrollmentSecretPolicy(ada, [ada.email], {
          secrets: stores.secrets,
          secretId: (await stores.secrets.peek((await stores.secrets.create(ada.id)).secret)).id,
        }),
      want: { status: 'issued', recorded: { source: 'enrollment_secret', approver: 'owner', status: 'issued' }, certificates: 1, requests: 1, held: 0 },
    },
  ];

  it.each(cases)('$name', async ({ csr, requester, policy, want }) => {
    const before = counts();
    const outcome = await service.submit(csr(), requester(), await policy());
    expect(outcome.status).toBe(want.status);
    expect(counts()).toMatchObject({
      certificates: before.certificates + want.certificates,
      certificate_requests: before.certificate_requests + want.requests,
    });
    expect(held).toHaveLength(want.held);
    if (outcome.status === 'refused') throw new Error(outcome.message);
    if (want.recorded === undefined) {
      expect(outcome).not.toHaveProperty('requestId');
    } else {
      expect(await stores.requests.get(outcome.requestId as string)).toMatchObject(want.recorded);
    }
    if (outcome.status === 'issued') {
      const [leaf, caCert] = parseCertificateChain(outcome.chainPem);
      expect(leaf?.serialNumberHex).toBe(outcome.serialHex);
      expect(caCert?.fingerprintSha256).toBe(caCertificate.fingerprintSha256);
      expect((await stores.certificates.get(outcome.serialHex))?.status).toBe('valid');
    }
  });

  it('uses an enrollment secret once: the second submission finds it gone', async () => {
    const secretId = (await stores.secrets.peek((await stores.secrets.create(ada.id)).secret)).id;
    const policy = () => enrollmentSecretPolicy(ada, [ada.email], { secrets: stores.secrets, secretId });
    const requester: Requester = { accountId: ada.id, source: 'enrollment_secret' };
    expect((await service.submit(csrFor({ email: [ADA] }).pem, requester, policy())).status).toBe('issued');
    const before = snapshot();
    const again = await service.submit(csrFor({ email: [ADA] }, generateKeyPair('p256').privateKey).pem, requester, policy());
    expect(again).toMatchObject({ status: 'refused', reason: 'unauthenticated', message: 'Authentication failed' });
    expect(snapshot()).toEqual(before);
  });

  it('refuses misuse: a held request of an ssl_api client, an account request without a profile', async () => {
    await expect(service.submit(csrFor({ dns: ['www.example.org'] }).pem, { client: 'alpha' }, SERVER_CERTIFICATE_POLICY)).rejects.toThrow(TypeError);
    await expect(service.submit(csrFor({ dns: ['www.example.org'] }).pem, byPassword, SSL_API_POLICY)).rejects.toThrow(TypeError);
  });

  it('a notice that throws does not fail the submission', async () => {
    const failing = new RequestService({
      ca,
      requests: stores.requests,
      certificates: stores.certificates,
      logger: silentLogger,
      notices: { held: () => Promise.reject(new Error('mail relay down')) },
    });
    expect((await failing.submit(csrFor({ email: [ADA] }).pem, byInstallation, ccsrPolicy('installation'))).status).toBe('pending');
  });
});

describe('replay', () => {
  it.each([
    {
      name: 'ssl_api, issued',
      requester: { client: 'alpha' } as Requester,
      policy: () => SSL_API_POLICY,
      csr: () => csrFor({ dns: ['www.example.test'] }).pem,
      status: 'issued',
    },
    {
      name: 'ccsr with the password, issued',
      requester: byPassword,
      policy: () => ccsrPolicy('password'),
      csr: () => csrFor({ email: [ADA] }).pem,
      status: 'issued',
    },
    {
      name: 'ccsr with a token, pending',
      requester: byInstallation,
      policy: () => ccsrPolicy('installation'),
      csr: () => csrFor({ email: [ADA] }).pem,
      status: 'pending',
    },
  ])('$name: the same request again gets the same answer, and nothing new is stored', async ({ requester, policy, csr, status }) => {
    const pem = csr();
    const first = await service.submit(pem, requester, policy());
    expect(first).toMatchObject({ status, replayed: false });
    const before = snapshot();
    const heldBefore = held.length;
    const again = await service.submit(pem, requester, policy());
    expect(again).toEqual({ ...first, replayed: true });
    expect(snapshot()).toEqual(before);
    expect(held).toHaveLength(heldBefore);
  });

  it('answers a held request with its certificate once approved', async () => {
    const pem = csrFor({ email: [ADA] }).pem;
    const first = await service.submit(pem, byInstallation, ccsrPolicy('installation'));
    if (first.status !== 'pending') throw new Error('not pending');
    const approved = await service.approve(first.requestId, { owner: ada.id });
    expect(approved.status).toBe('issued');
    const before = snapshot();
    const again = await service.submit(pem, byInstallation, ccsrPolicy('installation'));
    expect(again).toMatchObject({
      status: 'issued',
      requestId: first.requestId,
      replayed: true,
      serialHex: approved.status === 'issued' ? approved.serialHex : '',
    });
    expect(snapshot()).toEqual(before);
  });

  // Each case sends the very same request (same DER) twice: only the circumstance differs.
  it.each([
    {
      name: 'another ssl_api client',
      first: { requester: { client: 'alpha' } as Requester, policy: () => SSL_API_POLICY },
      then: (pem: string) => service.submit(pem, { client: 'beta' }, SSL_API_POLICY),
      csr: () => csrFor({ dns: ['www.example.test'] }).pem,
    },
    {
      name: 'another profile (code signing asked for)',
      first: { requester: byInstallation, policy: () => ccsrPolicy('installation') },
      then: async (pem: string) => {
        await stores.accounts.setCodeSigning(ada.id, true);
        ada = (await stores.accounts.get(ada.id)) as Account;
        return service.submit(pem, byInstallation, ccsrPolicy('installation', { codeSigning: true }));
      },
      csr: () => csrFor({ email: [ADA] }).pem,
    },
    {
      name: 'a policy without replays (server certificates)',
      first: { requester: byPassword, policy: () => SERVER_CERTIFICATE_POLICY },
      then: (pem: string) => service.submit(pem, byPassword, SERVER_CERTIFICATE_POLICY),
      csr: () => csrFor({ dns: ['www.example.org'] }).pem,
    },
    {
      name: 'a discarded request',
      first: { requester: byInstallation, policy: () => ccsrPolicy('installation') },
      then: async (pem: string, one: SubmitOutcome) => {
        await service.discard((one as { requestId: string }).requestId, { owner: ada.id });
        return service.submit(pem, byInstallation, ccsrPolicy('installation'));
      },
      csr: () => csrFor({ email: [ADA] }).pem,
    },
    {
      name: 'a rejected request',
      first: { requester: byPassword, policy: () => SERVER_CERTIFICATE_POLICY },
      then: async (pem: string, one: SubmitOutcome) => {
        await service.reject((one as { requestId: string }).requestId, { operator: 1 }, 'not yours');
        return service.submit(pem, byPassword, SERVER_CERTIFICATE_POLICY);
      },
      csr: () => csrFor({ dns: ['www.example.org'] }).pem,
    },
    {
      name: 'a revoked certificate',
      first: { requester: byPassword, policy: () => ccsrPolicy('password') },
      then: async (pem: string, one: SubmitOutcome) => {
        await service.revoke((one as { serialHex: string }).serialHex, { holder: { accountId: ada.id } });
        return service.submit(pem, byPassword, ccsrPolicy('password'));
      },
      csr: () => csrFor({ email: [ADA] }).pem,
    },
    {
      name: 'a revoked certificate (ssl_api)',
      first: { requester: { client: 'alpha' } as Requester, policy: () => SSL_API_POLICY },
      then: async (pem: string, one: SubmitOutcome) => {
        await service.revoke((one as { serialHex: string }).serialHex, { holder: { client: 'alpha' } });
        return service.submit(pem, { client: 'alpha' }, SSL_API_POLICY);
      },
      csr: () => csrFor({ dns: ['www.example.test'] }).pem,
    },
    {
      name: 'an expired certificate (ssl_api)',
      first: { requester: { client: 'alpha' } as Requester, policy: () => SSL_API_POLICY },
      then: (pem: string) => {
        clock += 91 * DAY;
        return service.submit(pem, { client: 'alpha' }, SSL_API_POLICY);
      },
      csr: () => csrFor({ dns: ['www.example.test'] }).pem,
    },
    {
      name: 'an expired certificate (ccsr)',
      first: { requester: byPassword, policy: () => ccsrPolicy('password') },
      then: (pem: string) => {
        clock += 91 * DAY;
        return service.submit(pem, byPassword, ccsrPolicy('password'));
      },
      csr: () => csrFor({ email: [ADA] }).pem,
    },
  ])('is no replay: $name', async ({ first, then, csr }) => {
    const pem = csr();
    const one = await service.submit(pem, first.requester, first.policy());
    const two = await then(pem, one);
    expect(isRefusal(two)).toBe(false);
    expect(two).toMatchObject({ replayed: false });
    if ('requestId' in one && 'requestId' in two) expect(two.requestId).not.toBe(one.requestId);
    if ('serialHex' in one && 'serialHex' in two) expect(two.serialHex).not.toBe(one.serialHex);
  });

  it('racing copies of one ssl_api request get one certificate', async () => {
    const pem = csrFor({ dns: ['www.example.test'] }).pem;
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => service.submit(pem, { client: 'racer' }, SSL_API_POLICY)));
    expect(new Set(outcomes.map((o) => (o.status === 'issued' ? o.serialHex : o.status))).size).toBe(1);
    expect(counts().certificates).toBe(1);
  });
});

describe('a refusal changes nothing stored', () => {
  const policyRefusals: Array<{
    name: string;
    csr: () => string;
    requester: () => Requester;
    policy: () => SubmissionPolicy | Promise<SubmissionPolicy>;
    setup?: () => void;
    want: RefusalReason;
  }> = [
    {
      name: 'an address that is not confirmed',
      csr: () => csrFor({ email: [ADA] }).pem,
      requester: () => byPassword,
      policy: () => ccsrPolicy('password', { email: 'other@example.org' }),
      want: 'address_not_confirmed',
    },
    {
      name: 'a name that is no name form',
      csr: () => csrFor({ email: [ADA] }).pem,
      requester: () => byInstallation,
      policy: () => ccsrPolicy('installation', { name: 'Lady Ada' }),
      want: 'name_not_allowed',
    },
    {
      name: 'code signing without CS=1',
      csr: () => csrFor({ email: [ADA] }).pem,
      requester: () => byPassword,
      policy: () => ccsrPolicy('password', { codeSigning: true }),
      want: 'codesign_not_allowed',
    },
    {
      name: 'a server request naming an address',
      csr: () => csrFor({ dns: ['www.example.org'], email: [ADA] }).pem,
      requester: () => byPassword,
      policy: () => SERVER_CERTIFICATE_POLICY,
      want: 'names_unsuitable',
    },
    {
      name: 'a server request naming no DNS name',
      csr: () => csrFor({ email: [ADA] }).pem,
      requester: () => byPassword,
      policy: () => SERVER_CERTIFICATE_POLICY,
      want: 'names_unsuitable',
    },
    {
      name: 'an enrollment for a DNS name',
      csr: () => csrFor({ dns: ['www.example.org'] }).pem,
      requester: () => ({ accountId: ada.id, source: 'enrollment_secret' }),
      policy: async () =>
        enrollmentSecretPolicy(ada, [ada.email], {
          secrets: stores.secrets,
          secretId: (await stores.secrets.peek((await stores.secrets.create(ada.id)).secret)).id,
        }),
      want: 'names_unsuitable',
    },
    {
      name: 'the authorize hook saying no (ssl_api)',
      csr: () => csrFor({ dns: ['www.example.test'] }).pem,
      requester: () => ({ client: 'alpha' }),
      policy: () => SSL_API_POLICY,
      setup: () => (hooks.authorize = () => false),
      want: 'policy_refused',
    },
    {
      name: 'the authorize hook saying no (ccsr with the password)',
      csr: () => csrFor({ email: [ADA] }).pem,
      requester: () => byPassword,
      policy: () => ccsrPolicy('password'),
      setup: () => (hooks.authorize = () => false),
      want: 'policy_refused',
    },
    {
      name: 'the authorize hook saying no to an enrollment (the secret is given back)',
      csr: () => csrFor({ email: [ADA] }).pem,
      requester: () => ({ accountId: ada.id, source: 'enrollment_secret' }),
      policy: async () =>
        enrollmentSecretPolicy(ada, [ada.email], {
          secrets: stores.secrets,
          secretId: (await stores.secrets.peek((await stores.secrets.create(ada.id)).secret)).id,
        }),
      setup: () => (hooks.authorize = () => false),
      want: 'policy_refused',
    },
    {
      name: 'presign adding a name nobody asked for',
      csr: () => csrFor({ dns: ['www.example.test'] }).pem,
      requester: () => ({ client: 'alpha' }),
      policy: () => SSL_API_POLICY,
      setup: () => (hooks.presign = (draft) => void (draft.subjectAltNames = { ...draft.subjectAltNames, dns: ['evil.example.test'] })),
      want: 'invalid_name',
    },
  ];

  it.each(policyRefusals)('$name: $want', async ({ csr, requester, policy, setup, want }) => {
    setup?.();
    const pem = csr();
    const who = requester();
    const decided = await policy();
    const before = snapshot();
    const outcome = await service.submit(pem, who, decided);
    expect(refusalReason(outcome)).toBe(want);
    expect(snapshot()).toEqual(before);
    expect(held).toEqual([]);
  });

  // The pki package's table of requests a CA must refuse, each with the ssl_api code it must
  // produce: the neutral reason in between must land on the same code in both writers.
  it.each(badCsrCases())('$name: refused, and written $wireCode by both writers', async ({ input, wireCode, status }) => {
    const before = snapshot();
    for (const [requester, policy] of [
      [{ client: 'alpha' }, SSL_API_POLICY],
      [byPassword, ccsrPolicy('password')],
    ] as const) {
      const outcome = await service.submit(input, requester, policy);
      if (!isRefusal(outcome)) throw new Error(`not refused: ${outcome.status}`);
      expect(CSR_API_CODE_OF[outcome.reason]).toBe(wireCode);
      expect(CSR_API_ERRORS[CSR_API_CODE_OF[outcome.reason]]).toBe(status);
      expect(CACERT_CODE_OF[outcome.reason]).toBe(wireCode);
    }
    expect(snapshot()).toEqual(before);
  });
});

describe('approve, reject, discard', () => {
  async function pending(policy: SubmissionPolicy = ccsrPolicy('installation'), requester: Requester = byInstallation): Promise<string> {
    const csr = policy === SERVER_CERTIFICATE_POLICY ? csrFor({ dns: ['www.example.org'] }) : csrFor({ email: [ADA] });
    const outcome = await service.submit(csr.pem, requester, policy);
    if (outcome.status !== 'pending') throw new Error(`not pending: ${outcome.status}`);
    return outcome.requestId;
  }

  it('approving twice issues one certificate', async () => {
    const id = await pending();
    const first = await service.approve(id, { owner: ada.id });
    expect(first).toMatchObject({ status: 'issued' });
    const before = snapshot();
    expect(await service.approve(id, { owner: ada.id })).toEqual({ status: 'not_pending' });
    expect(snapshot()).toEqual(before);
    expect(await stores.requests.get(id)).toMatchObject({ status: 'issued', certificateSerial: first.status === 'issued' ? first.serialHex : '' });
    expect(decided).toEqual([{ id, decision: { kind: 'approved', by: { owner: ada.id } } }]);
  });

  it('two approvals at once issue one certificate', async () => {
    const id = await pending(SERVER_CERTIFICATE_POLICY, byPassword);
    const outcomes = await Promise.all([service.approve(id, { operator: 1 }), service.approve(id, { operator: 2 })]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['issued', 'not_pending']);
    expect(counts().certificates).toBe(1);
  });

  it.each([
    { name: 'an unknown id', id: () => 'A'.repeat(22), by: () => ({ owner: ada.id }) },
    { name: "another account's request", id: () => 'own', by: () => ({ owner: bob.id }) },
    { name: "an operator, for an owner's request", id: () => 'own', by: () => ({ operator: 1 }) },
    { name: "the owner, for an operator's request", id: () => 'operator', by: () => ({ owner: ada.id }) },
  ])('every decision on $name is not_pending and changes nothing', async ({ id, by }) => {
    const own = await pending();
    const operator = await pending(SERVER_CERTIFICATE_POLICY, byPassword);
    const target = id() === 'own' ? own : id() === 'operator' ? operator : id();
    const before = snapshot();
    expect(await service.approve(target, by())).toEqual({ status: 'not_pending' });
    expect(await service.reject(target, by(), 'no')).toEqual({ status: 'not_pending' });
    expect(await service.discard(target, by())).toEqual({ status: 'not_pending' });
    expect(snapshot()).toEqual(before);
    expect(decided).toEqual([]);
  });

  it('a refusal at approval leaves the request pending, and a later approval issues it', async () => {
    const id = await pending();
    hooks.authorize = () => false;
    const before = snapshot();
    expect(await service.approve(id, { owner: ada.id })).toMatchObject({ status: 'refused', reason: 'policy_refused' });
    expect(snapshot()).toEqual(before);
    delete hooks.authorize;
    expect(await service.approve(id, { owner: ada.id })).toMatchObject({ status: 'issued' });
  });

  it('a failure while signing puts the request back to pending and is thrown', async () => {
    const id = await pending();
    hooks.serialNumber = () => {
      throw new Error('serial source down');
    };
    const before = snapshot();
    await expect(service.approve(id, { owner: ada.id })).rejects.toThrow('serial source down');
    expect(snapshot()).toEqual(before);
  });

  it('rejects with a reason the requester sees, once; an empty or too long reason changes nothing', async () => {
    const id = await pending(SERVER_CERTIFICATE_POLICY, byPassword);
    const before = snapshot();
    for (const reason of ['', '   ', 'x'.repeat(501)]) expect(await service.reject(id, { operator: 1 }, reason)).toEqual({ status: 'reason_invalid' });
    expect(snapshot()).toEqual(before);
    expect(await service.reject(id, { operator: 1 }, '  example.org is not yours ')).toMatchObject({ status: 'rejected' });
    expect(await service.view(ada.id, id)).toMatchObject({ status: 'rejected', reason: 'example.org is not yours' });
    expect(await service.reject(id, { operator: 1 }, 'again')).toEqual({ status: 'not_pending' });
    expect(await service.approve(id, { operator: 1 })).toEqual({ status: 'not_pending' });
    expect(decided).toEqual([{ id, decision: { kind: 'rejected', by: { operator: 1 }, reason: 'example.org is not yours' } }]);
  });

  it('discards without a certificate; the discarded request can no longer be approved', async () => {
    const id = await pending();
    expect(await service.discard(id, { owner: ada.id })).toMatchObject({ status: 'discarded' });
    expect(await service.approve(id, { owner: ada.id })).toEqual({ status: 'not_pending' });
    expect(await service.view(ada.id, id)).toMatchObject({ status: 'discarded' });
    expect(counts().certificates).toBe(0);
  });

  it('shows a request being approved as pending, and an issued one with its certificate', async () => {
    const id = await pending();
    await stores.requests.transition(ada.id, id, 'pending', 'approved');
    expect((await service.view(ada.id, id))?.status).toBe('pending');
    await stores.requests.transition(ada.id, id, 'approved', 'pending');
    const approved = await service.approve(id, { owner: ada.id });
    const view = await service.view(ada.id, id);
    if (view?.status !== 'issued' || approved.status !== 'issued') throw new Error('not issued');
    expect(`${view.certificatePem}${view.caCertificatePem}`).toBe(approved.chainPem);
    expect(view.caCertificatePem).toBe(caCertificate.pem);
    expect(await service.view(bob.id, id)).toBeUndefined();
  });
});

describe('revoke', () => {
  it("revokes the holder's certificate once; the CRL lists it with its reason", async () => {
    const issued = await service.submit(csrFor({ email: [ADA] }).pem, byPassword, ccsrPolicy('password'));
    if (issued.status !== 'issued') throw new Error('not issued');
    const crlBefore = parseCrl(await ca.currentCrl(), { issuer: caCertificate });
    expect(crlBefore.revoked).toEqual([]);
    clock += 1000;
    expect(await service.revoke(issued.serialHex.toUpperCase(), { holder: { accountId: ada.id }, reason: 'keyCompromise' })).toMatchObject({
      status: 'revoked',
      reason: 'keyCompromise',
    });
    expect(await stores.certificates.get(issued.serialHex)).toMatchObject({ status: 'revoked', revokedAt: new Date(clock), revocationReason: 'keyCompromise' });
    const crl = parseCrl(await ca.currentCrl(), { issuer: caCertificate });
    expect(crl.revoked).toEqual([{ serialNumberHex: issued.serialHex, revokedAt: new Date(Math.floor(clock / 1000) * 1000), reason: 'keyCompromise' }]);
    expect((crl.crlNumber ?? 0n) > (crlBefore.crlNumber ?? 0n)).toBe(true);
    const before = snapshot();
    expect(await service.revoke(issued.serialHex, { reason: 'superseded' })).toMatchObject({ status: 'already_revoked', reason: 'keyCompromise' });
    expect(snapshot()).toEqual(before);
  });

  it.each([
    { name: "another account's certificate", serial: (s: string) => s, holder: () => ({ accountId: bob.id }) },
    { name: "an ssl_api client's claim on an account's certificate", serial: (s: string) => s, holder: () => ({ client: 'alpha' }) },
    { name: 'an unknown serial', serial: () => '0badc0de', holder: () => undefined },
    { name: 'a serial that is not hex', serial: () => 'not a serial', holder: () => undefined },
  ])('answers not_found for $name and changes nothing', async ({ serial, holder }) => {
    const issued = await service.submit(csrFor({ email: [ADA] }).pem, byPassword, ccsrPolicy('password'));
    if (issued.status !== 'issued') throw new Error('not issued');
    const before = snapshot();
    const by = holder();
    expect(await service.revoke(serial(issued.serialHex), by === undefined ? {} : { holder: by })).toEqual({ status: 'not_found' });
    expect(snapshot()).toEqual(before);
  });

  it('lets an ssl_api client revoke its own certificate', async () => {
    const issued = await service.submit(csrFor({ dns: ['www.example.test'] }).pem, { client: 'alpha' }, SSL_API_POLICY);
    if (issued.status !== 'issued') throw new Error('not issued');
    expect(await service.revoke(issued.serialHex, { holder: { client: 'alpha' } })).toMatchObject({ status: 'revoked' });
  });

  it("never logs an ssl_api client's hash (its credential), only a digest of it, when it issues, replays and revokes", async () => {
    const client = 'SecretClientHash0123456789';
    const lines: string[] = [];
    const logger = createLogger({ write: (chunk: string) => lines.push(chunk) });
    const caLogged = new CertificateAuthority({
      identity: { certificate: caCertificate, privateKey: caKey.privateKey },
      store: stores.certificates,
      hooks,
      logger,
      publicUrl: 'https://ca.example.test',
      validityMs: 90 * 86_400_000,
      now: () => new Date(clock),
    });
    const logged = new RequestService({ ca: caLogged, requests: stores.requests, certificates: stores.certificates, logger, now: () => clock });
    const pem = csrFor({ dns: ['www.example.test'] }).pem;
    const issued = await logged.submit(pem, { client }, SSL_API_POLICY);
    if (issued.status !== 'issued') throw new Error('not issued');
    expect((await logged.submit(pem, { client }, SSL_API_POLICY)).status).toBe('issued');
    expect(await logged.revoke(issued.serialHex, { holder: { client } })).toMatchObject({ status: 'revoked' });
    const text = lines.join('');
    expect(text).toContain('certificate issued');
    expect(text).toContain('certificate replayed');
    expect(text).toContain('certificate revoked');
    expect(text).not.toContain(client);
    expect(text).toContain(`client-sha256:${createHash('sha256').update(client).digest('hex').slice(0, 16)}`);
  });
});
