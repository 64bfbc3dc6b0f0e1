/**
 * revoke() against the real reference CA, through both methods: the CA's CRL lists the serial
 * with the reason, `live/<name>` is moved to `revoked/<name>-<serial>` (the archived files kept,
 * readable through it), the state records it, listEnrollments() shows it, a second call changes
 * nothing; the refusals (unknown name, nothing installed, the CA's no, another CA) change
 * nothing; and a run "crashed" at each of its mutating file-system calls is finished by the next.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '@certwizard/pki';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openFileStore } from '../credentials/file-store.js';
import { crlEntry, EMAIL, startTestCa, type TestCa } from '../enroll/test-support/reference-ca.js';
import { liveSnapshot } from '../install/test-support/live-state.js';
import { faultFs, mutatingCalls } from '../install/test-support/fault-fs.js';
import { sslApiClientKey } from '../methods/ssl-api/credential-keys.js';
import { sslApiMethod } from '../methods/ssl-api/ssl-api-method.js';
import { enroll, type EnrollOptions } from './default-method.js';
import { listEnrollments } from './list-enrollments.js';
import { revoke, type RevokeEvent, type RevokeOptions } from './revoke.js';
import { revocationSecretKey } from './revocation-secrets.js';
import { readState, statePaths } from './state-file.js';
import { submitRegistration } from './test-support/person.js';

let root: string;
let ca: TestCa | undefined;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'certwizard-revoke-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(async () => {
  await ca?.dispose();
  ca = undefined;
});

let worlds = 0;

/** A fresh folder with an enrollment `mail` made through `method` against `c`. */
async function enrolled(c: TestCa, method: 'cacert' | 'ssl-api'): Promise<{ baseDir: string; options: RevokeOptions; serialHex: string; certPem: string }> {
  const dir = join(root, `w${worlds++}`);
  const credentials = await openFileStore({ dir: join(dir, 'secrets') });
  const baseDir = join(dir, 'certs');
  const common: EnrollOptions = { caUrl: c.url, name: 'mail', baseDir, credentials, trustAnchorsPem: c.caCertPem, names: {} };
  const { installed } =
    method === 'cacert'
      ? await enroll({
          ...common,
          names: { email: [EMAIL] },
          // The request goes with the registration (the default for one address): issued before
          // the installation token existed, so the token may not revoke it; the live key may.
          registration: { prefill: { emailAddress: { value: EMAIL, sure: true } }, opener: (url) => submitRegistration(url), pollIntervalMs: 20 },
        })
      : await enroll({ ...common, names: { dns: ['mail.example.org'] }, method: sslApiMethod({ caUrl: c.url, client: 'vendor1' }) });
  const certPem = readFileSync(installed.paths.cert, 'utf8');
  if (method === 'ssl-api') await credentials.set(sslApiClientKey(new URL(c.url).origin), 'vendor1');
  return { baseDir, options: { baseDir, name: 'mail', credentials }, serialHex: parseCertificate(certPem).serialNumberHex, certPem };
}

/** Every invariant of a finished revocation. */
async function expectRevoked(c: TestCa, baseDir: string, serialHex: string, certPem: string, reason: string): Promise<void> {
  expect((await crlEntry(c, serialHex))?.reason ?? 'unspecified').toBe(reason);
  expect(liveSnapshot(baseDir, 'mail')).toEqual({ link: 'absent' });
  const moved = join(baseDir, 'revoked', `mail-${serialHex}`);
  expect(readlinkSync(moved)).toMatch(/^\.\.\/archive\/mail\/v\d+$/);
  // Moved, never deleted: the set reads through the moved link, the archive keeps it.
  expect(readFileSync(join(moved, 'cert.pem'), 'utf8')).toBe(certPem);
  expect(existsSync(join(moved, 'privkey.pem'))).toBe(true);
  expect(statSync(join(baseDir, 'revoked')).mode & 0o777).toBe(0o700);
  const state = await readState((await import('../install/file-system.js')).nodeFileSystem, statePaths(join(baseDir, 'enrollments'), 'mail'));
  expect(state).toMatchObject({ step: 'done', revoked: { serialHex, reason, movedTo: `revoked/mail-${serialHex}` } });
  const [listed] = await listEnrollments({ baseDir });
  expect(listed).toMatchObject({ name: 'mail', step: 'done', revoked: { serialHex, reason, movedTo: moved } });
  expect(listed?.installed).toBeUndefined();
}

describe('revoke()', () => {
  it('revokes a CAcert enrollment (issued with the registration, so by proof of possession of the live key): the CRL lists it with the reason, live/mail moves to revoked/, the state records it', async () => {
    ca = await startTestCa();
    const { baseDir, options, serialHex, certPem } = await enrolled(ca, 'cacert');
    const events: RevokeEvent[] = [];
    const result = await revoke({ ...options, reason: 'keyCompromise', onEvent: (e) => events.push(e) });
    expect(result).toMatchObject({
      serialHex,
      reason: 'keyCompromise',
      caStatus: 'revoked',
      alreadyDone: false,
      movedTo: join(baseDir, 'revoked', `mail-${serialHex}`),
    });
    // The token's crevoke answers unknown_certificate (not requested with it); the key may.
    expect(events.map((e) => e.type)).toEqual(['revoking', 'revoking-with-key', 'revoked']);
    await expectRevoked(ca, baseDir, serialHex, certPem, 'keyCompromise');
    const state = await readState((await import('../install/file-system.js')).nodeFileSystem, statePaths(join(baseDir, 'enrollments'), 'mail'));
    const spki = parseCertificate(certPem).publicKeyDer;
    expect(state?.step === 'done' && state.revoked?.keySha256).toBe(createHash('sha256').update(spki).digest('hex'));

    // Again: nothing asked, nothing changed.
    const before = await ca.counts();
    const again = await revoke({ ...options, reason: 'superseded' });
    expect(again).toMatchObject({ serialHex, reason: 'keyCompromise', caStatus: undefined, alreadyDone: true });
    expect(await ca.counts()).toEqual(before);
    await expectRevoked(ca, baseDir, serialHex, certPem, 'keyCompromise');
  });

  it('revokes an ssl-api enrollment with the client hash from the credential store (the default method of its slot)', async () => {
    ca = await startTestCa();
    const { baseDir, options, serialHex, certPem } = await enrolled(ca, 'ssl-api');
    const events: RevokeEvent[] = [];
    const result = await revoke({ ...options, reason: 'cessationOfOperation', onEvent: (e) => events.push(e) });
    expect(result).toMatchObject({ caStatus: 'revoked', serialHex });
    expect(events.map((e) => e.type)).toEqual(['revoking', 'revoked']);
    await expectRevoked(ca, baseDir, serialHex, certPem, 'cessationOfOperation');
  });

  it("counts the CA's already_revoked as done (revoked at the CA before, by another way)", async () => {
    ca = await startTestCa();
    const { baseDir, options, serialHex, certPem } = await enrolled(ca, 'ssl-api');
    await sslApiMethod({ caUrl: ca.url, client: 'vendor1' }).revoke?.({ serialHex, reason: 'superseded' });
    const result = await revoke({ ...options, reason: 'superseded' });
    expect(result).toMatchObject({ caStatus: 'already_revoked', alreadyDone: false });
    await expectRevoked(ca, baseDir, serialHex, certPem, 'superseded');
  });

  it('revokes with the live key when the installation token is gone from the credential store', async () => {
    ca = await startTestCa();
    const { baseDir, options, serialHex, certPem } = await enrolled(ca, 'cacert');
    await options.credentials.delete(`installation-token:${new URL(ca.url).origin}`);
    const events: RevokeEvent[] = [];
    await revoke({ ...options, reason: 'superseded', onEvent: (e) => events.push(e) });
    expect(events.map((e) => e.type)).toEqual(['revoking', 'revoking-with-key', 'revoked']);
    await expectRevoked(ca, baseDir, serialHex, certPem, 'superseded');
  });

  it('removes a pending key file left over from the enrollment when it is the revoked key', async () => {
    ca = await startTestCa();
    const { baseDir, options } = await enrolled(ca, 'ssl-api');
    const pending = join(baseDir, 'enrollments', 'mail.key.pem');
    writeFileSync(pending, readFileSync(join(baseDir, 'live', 'mail', 'privkey.pem')), { mode: 0o600 });
    await revoke({ ...options, reason: 'keyCompromise' });
    expect(existsSync(pending)).toBe(false);
  });

  describe('refusals change nothing', () => {
    it('an unknown name: ERR_SDK_NOT_ENROLLED', async () => {
      ca = await startTestCa();
      const { options } = await enrolled(ca, 'ssl-api');
      await expect(revoke({ ...options, name: 'other' })).rejects.toMatchObject({ code: 'ERR_SDK_NOT_ENROLLED', enrollment: 'other' });
    });

    it('nothing live (live/mail removed by hand, no record): ERR_SDK_NOT_INSTALLED, nothing sent to the CA', async () => {
      ca = await startTestCa();
      const { baseDir, options, serialHex } = await enrolled(ca, 'ssl-api');
      unlinkSync(join(baseDir, 'live', 'mail'));
      const state = readFileSync(join(baseDir, 'enrollments', 'mail.json'), 'utf8');
      await expect(revoke(options)).rejects.toMatchObject({ code: 'ERR_SDK_NOT_INSTALLED', step: 'done' });
      expect(await crlEntry(ca, serialHex)).toBeUndefined();
      expect(readFileSync(join(baseDir, 'enrollments', 'mail.json'), 'utf8')).toBe(state);
      expect(existsSync(join(baseDir, 'revoked'))).toBe(false);
    });

    it("the CA's no (another client's certificate, and the key's request outside the CA's five minutes): ERR_SDK_REVOKE_REFUSED, live and state untouched", async () => {
      ca = await startTestCa();
      const { baseDir, options, serialHex } = await enrolled(ca, 'ssl-api');
      const live = liveSnapshot(baseDir, 'mail');
      const state = readFileSync(join(baseDir, 'enrollments', 'mail.json'), 'utf8');
      await ca.advanceClock(10 * 60_000);
      // Without its kept revocation secret (which would revoke it: revocation-secret.test.ts).
      expect(await options.credentials.delete(revocationSecretKey(new URL(ca.url).origin, 'mail', serialHex))).toBe(true);
      await expect(revoke({ ...options, sslApiClient: 'vendor2' })).rejects.toMatchObject({ code: 'ERR_SDK_REVOKE_REFUSED', caCode: 'stale_request' });
      expect(liveSnapshot(baseDir, 'mail')).toEqual(live);
      expect(readFileSync(join(baseDir, 'enrollments', 'mail.json'), 'utf8')).toBe(state);
      expect(await crlEntry(ca, serialHex)).toBeUndefined();
    });

    it('a revoked record edited by hand to move the files elsewhere: ERR_SDK_STATE_FILE', async () => {
      ca = await startTestCa();
      const { baseDir, options } = await enrolled(ca, 'ssl-api');
      const path = join(baseDir, 'enrollments', 'mail.json');
      const state = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      const keySha256 = '0'.repeat(64);
      writeFileSync(
        path,
        JSON.stringify({
          ...state,
          revoked: { serialHex: '0a', reason: 'superseded', revokedAt: new Date().toISOString(), movedTo: 'revoked/../../elsewhere-0a', keySha256 },
        }),
      );
      const live = liveSnapshot(baseDir, 'mail');
      await expect(revoke(options)).rejects.toMatchObject({ code: 'ERR_SDK_STATE_FILE' });
      expect(liveSnapshot(baseDir, 'mail')).toEqual(live);
    });

    it("another CA, another method, a reason that is not a holder's", async () => {
      ca = await startTestCa();
      const { baseDir, options } = await enrolled(ca, 'ssl-api');
      const live = liveSnapshot(baseDir, 'mail');
      await expect(revoke({ ...options, caUrl: 'https://other.example' })).rejects.toMatchObject({ code: 'ERR_SDK_STATE_MISMATCH' });
      await expect(revoke({ ...options, method: { name: 'cacert', submit: async () => ({ status: 'pending', requestId: 'x' }) } })).rejects.toMatchObject({
        code: 'ERR_SDK_STATE_MISMATCH',
      });
      await expect(revoke({ ...options, reason: 'certificateHold' as never })).rejects.toThrow(TypeError);
      expect(liveSnapshot(baseDir, 'mail')).toEqual(live);
    });
  });

  it('a run crashed at each mutating file-system call is finished by the next: revoked once, moved once, recorded', { timeout: 240_000 }, async () => {
    ca = await startTestCa();
    const clean = await enrolled(ca, 'ssl-api');
    const recorder = faultFs(undefined);
    await revoke({ ...clean.options, reason: 'superseded', fs: recorder.fs });
    const total = mutatingCalls(recorder.calls).length;
    expect(total).toBeGreaterThanOrEqual(6);
    for (let at = 0; at < total; at++) {
      const { baseDir, options, serialHex, certPem } = await enrolled(ca, 'ssl-api');
      const shim = faultFs({ at, crash: true });
      await expect(revoke({ ...options, reason: 'superseded', fs: shim.fs }), `call ${at}`).rejects.toMatchObject({ code: 'EINJECTED' });
      expect(shim.fired(), `call ${at}`).toBe(true);
      const second = await revoke({ ...options, reason: 'superseded' });
      expect(second.serialHex, `call ${at}`).toBe(serialHex);
      await expectRevoked(ca, baseDir, serialHex, certPem, 'superseded');
    }
  });
});
