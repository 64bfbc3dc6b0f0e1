import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIdentity, loadIdentity, RA_FILES } from '../identity.js';

const PASSPHRASE = 'a CA passphrase for tests';
let base: string;
let dir: string;
beforeEach(async () => {
  base = mkdtempSync(join(tmpdir(), 'certwizard-ra-'));
  dir = join(base, 'identity');
  await createIdentity(dir, {
    subject: [
      { type: 'O', value: 'certwizard tests' },
      { type: 'CN', value: 'RA Test CA' },
    ],
    validityYears: 5,
    keyType: 'p256',
    passphrase: PASSPHRASE,
  });
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });

describe('the SCEP RA identity beside the CA identity', () => {
  it('is made on first load: RSA-2048, issued by the CA, keyUsage digitalSignature+keyEncipherment, not a CA, key encrypted with the CA passphrase', () => {
    const identity = loadIdentity(dir, PASSPHRASE);
    const ra = identity.ra;
    expect(ra).toBeDefined();
    if (!ra) return;
    expect(ra.privateKey.asymmetricKeyType).toBe('rsa');
    expect(ra.privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(ra.certificate.isCa).toBe(false);
    expect(ra.certificateDer).toEqual(ra.certificate.der);
    expect(ra.certificatePem).toBe(readFileSync(join(dir, RA_FILES.certificate), 'utf8'));
    const text = openssl('x509', '-in', join(dir, RA_FILES.certificate), '-noout', '-text');
    expect(text).toContain('Subject: CN = RA Test CA SCEP RA');
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).not.toContain('Subject Alternative Name');
    expect(openssl('verify', '-CAfile', join(dir, 'ca.cert.pem'), join(dir, RA_FILES.certificate)).trim()).toMatch(/: OK$/);
    const keyPem = readFileSync(join(dir, RA_FILES.privateKey), 'utf8');
    expect(keyPem).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    expect(statSync(join(dir, RA_FILES.privateKey)).mode & 0o777).toBe(0o600);
    const notAfterYears = (ra.certificate.notAfter.getTime() - Date.now()) / (365 * 24 * 3600_000);
    expect(notAfterYears).toBeGreaterThan(1.99);
    expect(notAfterYears).toBeLessThanOrEqual(2.01);
  });

  it('is never written over: a second load gets the same pair', () => {
    const first = loadIdentity(dir, PASSPHRASE).ra;
    const pem = readFileSync(join(dir, RA_FILES.certificate), 'utf8');
    const second = loadIdentity(dir, PASSPHRASE).ra;
    expect(second?.certificatePem).toBe(first?.certificatePem);
    expect(readFileSync(join(dir, RA_FILES.certificate), 'utf8')).toBe(pem);
  });

  it('a pair that does not match, or half a pair, is a clear start-up error and nothing is written', async () => {
    loadIdentity(dir, PASSPHRASE);
    const otherBase = mkdtempSync(join(tmpdir(), 'certwizard-ra-other-'));
    try {
      const other = join(otherBase, 'identity');
      await createIdentity(other, { subject: [{ type: 'CN', value: 'Other CA' }], validityYears: 1, keyType: 'p256', passphrase: PASSPHRASE });
      loadIdentity(other, PASSPHRASE);
      copyFileSync(join(other, RA_FILES.privateKey), join(dir, RA_FILES.privateKey));
      expect(() => loadIdentity(dir, PASSPHRASE)).toThrow(
        expect.objectContaining({ code: 'ERR_CA_IDENTITY_INVALID', message: expect.stringContaining('is not the key of') }),
      );
      unlinkSync(join(dir, RA_FILES.privateKey));
      const cert = readFileSync(join(dir, RA_FILES.certificate), 'utf8');
      expect(() => loadIdentity(dir, PASSPHRASE)).toThrow(
        expect.objectContaining({ code: 'ERR_CA_IDENTITY_INVALID', message: expect.stringContaining('without its pair') }),
      );
      expect(readFileSync(join(dir, RA_FILES.certificate), 'utf8')).toBe(cert);
    } finally {
      rmSync(otherBase, { recursive: true, force: true });
    }
  });

  it('a wrong passphrase is the key decryption error, not a new RA', () => {
    loadIdentity(dir, PASSPHRASE);
    const cert = readFileSync(join(dir, RA_FILES.certificate), 'utf8');
    expect(() => loadIdentity(dir, 'not the passphrase')).toThrow(expect.objectContaining({ code: 'ERR_PKI_KEY_DECRYPTION' }));
    expect(readFileSync(join(dir, RA_FILES.certificate), 'utf8')).toBe(cert);
  });
});
