import { execFileSync, spawnSync } from 'node:child_process';
import { sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Issuer, issueCertificate, parseCertificate } from './certificate.js';
import { bitString, bool, contextConstructed, int, octets, oid, seq, utcOrGeneralizedTime } from './codec/der-writer.js';
import { encodePem } from './codec/pem.js';
import { createCrl, parseCrl, type RevokedEntry } from './crl.js';
import { createCsr, parseCsr } from './csr.js';
import { exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem, type KeyType } from './keys.js';
import { codeOf } from './test-support/expect-code.js';
import { makeTestCa } from './test-support/issuers.js';

const DAY = 24 * 3600_000;
const now = Math.floor(Date.now() / 1000) * 1000;

let dir: string;
function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}
/** Runs openssl and returns stdout and stderr together (`openssl crl` reports "verify OK" on stderr). */
function openssl(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const makeCa = (type: KeyType, cn: string): Issuer => makeTestCa(type, cn, now);

const revoked: RevokedEntry[] = [
  { serialNumberHex: '0123456789abcdef', revokedAt: new Date(now - 2 * DAY), reason: 'keyCompromise' },
  { serialNumberHex: '00ff01', revokedAt: new Date(now - DAY), reason: 'superseded' },
  { serialNumberHex: '42', revokedAt: new Date(now - DAY), reason: 'cessationOfOperation' },
  { serialNumberHex: '43', revokedAt: new Date(now - DAY), reason: 'unspecified' },
  { serialNumberHex: '44', revokedAt: new Date(now - DAY) },
];

let rsaCa: Issuer;
let ecCa: Issuer;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pki-crl-'));
  rsaCa = makeCa('rsa2048', 'CRL RSA Root');
  ecCa = makeCa('p256', 'CRL EC Root');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('createCrl', () => {
  it.each([
    { name: 'an RSA-2048 CA', ca: () => rsaCa },
    { name: 'a P-256 CA', ca: () => ecCa },
  ])('signs a v2 CRL for $name that openssl verifies and lists', ({ ca }) => {
    const issuer = ca();
    const crl = createCrl({ issuer, thisUpdate: new Date(now), nextUpdate: new Date(now + 7 * DAY), crlNumber: 42n, revoked });
    write('ca.pem', issuer.certificate.pem);
    write('crl.pem', crl.pem);
    const { status, output } = openssl('crl', '-in', 'crl.pem', '-CAfile', 'ca.pem', '-noout', '-text');
    expect(status).toBe(0);
    expect(output).toContain('verify OK');
    expect(output).toContain('Version 2 (0x1)');
    expect(output).toMatch(/CRL Number:\s+42/);
    const keyId = issuer.certificate.subjectKeyIdentifier?.toUpperCase().match(/../g)?.join(':');
    expect(output).toMatch(new RegExp(`Authority Key Identifier:\\s+(keyid:)?${keyId}`));
    expect(output).toMatch(/Serial Number: 0123456789ABCDEF\s+Revocation Date: .*\s+CRL entry extensions:\s+X509v3 CRL Reason Code:\s+Key Compromise/);
    expect(output).toMatch(/Serial Number: FF01\s+Revocation Date: .*\s+CRL entry extensions:\s+X509v3 CRL Reason Code:\s+Superseded/);
    expect(output).toMatch(/Reason Code:\s+Cessation Of Operation/);
    // §5.3.1: unspecified is written as no reasonCode at all.
    expect(output).toMatch(/Serial Number: 43\s+Revocation Date: [^\n]+\n\s+Serial Number: 44\s+Revocation Date: [^\n]+\n\s+Signature Algorithm/);

    const parsed = parseCrl(crl.pem, { issuer: issuer.certificate });
    expect(parsed.issuer).toEqual(issuer.certificate.subject);
    expect(Buffer.from(parsed.issuerDer).equals(issuer.certificate.subjectDer)).toBe(true);
    expect(parsed.thisUpdate.getTime()).toBe(now);
    expect(parsed.nextUpdate?.getTime()).toBe(now + 7 * DAY);
    expect(parsed.crlNumber).toBe(42n);
    expect(parsed.revoked).toEqual([
      revoked[0],
      revoked[1],
      revoked[2],
      { serialNumberHex: '43', revokedAt: new Date(now - DAY) },
      { serialNumberHex: '44', revokedAt: new Date(now - DAY) },
    ]);
  });

  it('leaves out revokedCertificates when nothing is revoked (RFC 5280 §5.1.2.6)', () => {
    const crl = createCrl({ issuer: ecCa, thisUpdate: new Date(now), nextUpdate: new Date(now + DAY), crlNumber: 0n, revoked: [] });
    write('ca.pem', ecCa.certificate.pem);
    write('empty.pem', crl.pem);
    const { status, output } = openssl('crl', '-in', 'empty.pem', '-CAfile', 'ca.pem', '-noout', '-text');
    expect(status).toBe(0);
    expect(output).toContain('No Revoked Certificates.');
    expect(parseCrl(crl.der, { issuer: ecCa.certificate }).revoked).toEqual([]);
  });

  it('lists the serial of a certificate it revokes exactly as the certificate carries it', () => {
    const { privateKey } = generateKeyPair('p256');
    const request = parseCsr(createCsr({ privateKey, subjectAltNames: { dns: ['revoked.example.org'] } }).der);
    const certificate = parseCertificate(
      issueCertificate({
        request,
        issuer: ecCa,
        serialNumber: new Uint8Array([0x00, 0x80, 0x01]),
        profile: { notBefore: new Date(now), notAfter: new Date(now + DAY), subjectAltNames: { dns: ['revoked.example.org'] } },
      }).pem,
    );
    const crl = createCrl({
      issuer: ecCa,
      thisUpdate: new Date(now),
      nextUpdate: new Date(now + DAY),
      crlNumber: 1n,
      revoked: [{ serialNumberHex: certificate.serialNumberHex, revokedAt: new Date(now), reason: 'keyCompromise' }],
    });
    write('ca.pem', ecCa.certificate.pem);
    write('revoked.pem', certificate.pem);
    write('revoked.crl', crl.pem);
    const { status, output } = openssl('verify', '-crl_check', '-CAfile', 'ca.pem', '-CRLfile', 'revoked.crl', 'revoked.pem');
    expect(status).not.toBe(0);
    expect(output).toContain('certificate revoked');
  });

  it('refuses misuse with TypeError', () => {
    const base = { issuer: ecCa, thisUpdate: new Date(now), nextUpdate: new Date(now + DAY), crlNumber: 1n, revoked: [] };
    const leafKey = generateKeyPair('p256').privateKey;
    const cases: { name: string; input: Parameters<typeof createCrl>[0]; want: string }[] = [
      { name: 'a negative CRL number', input: { ...base, crlNumber: -1n }, want: 'uncoded TypeError' },
      { name: 'a CRL number over 20 octets', input: { ...base, crlNumber: 1n << 159n }, want: 'uncoded TypeError' },
      { name: 'nextUpdate not after thisUpdate', input: { ...base, nextUpdate: new Date(now) }, want: 'uncoded TypeError' },
      { name: 'a serial listed twice', input: { ...base, revoked: [revoked[2] as RevokedEntry, revoked[2] as RevokedEntry] }, want: 'uncoded TypeError' },
      { name: 'a serial that is not hex', input: { ...base, revoked: [{ serialNumberHex: 'xyz', revokedAt: new Date(now) }] }, want: 'uncoded TypeError' },
      {
        name: 'a serial with a redundant zero',
        input: { ...base, revoked: [{ serialNumberHex: '0001', revokedAt: new Date(now) }] },
        want: 'uncoded TypeError',
      },
      {
        name: 'an unknown reason',
        input: { ...base, revoked: [{ serialNumberHex: '01', revokedAt: new Date(now), reason: 'removeFromCRL' as never }] },
        want: 'uncoded TypeError',
      },
      {
        name: 'a key that is not the issuer key',
        input: { ...base, issuer: { certificate: ecCa.certificate, privateKey: leafKey } },
        want: 'ERR_PKI_KEY_MISMATCH',
      },
    ];
    for (const { name, input, want } of cases)
      expect(
        codeOf(() => createCrl(input)),
        name,
      ).toBe(want);
  });

  it('refuses an issuer certificate without cRLSign', () => {
    write('req.cnf', '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n');
    execFileSync(
      'openssl',
      [
        'req',
        '-config',
        'req.cnf',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'nocrl.key',
        '-out',
        'nocrl.pem',
        '-days',
        '30',
        '-subj',
        '/CN=No CRL Sign',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign',
      ],
      { cwd: dir, stdio: 'pipe' },
    );
    const issuer = {
      certificate: parseCertificate(readFileSync(join(dir, 'nocrl.pem'), 'utf8')),
      privateKey: importPrivateKeyPem(readFileSync(join(dir, 'nocrl.key'), 'utf8')),
    };
    expect(codeOf(() => createCrl({ issuer, thisUpdate: new Date(now), nextUpdate: new Date(now + DAY), crlNumber: 1n, revoked: [] }))).toBe(
      'uncoded TypeError',
    );
  });
});

describe('parseCrl', () => {
  it('reads and verifies a CRL made by `openssl ca -gencrl`', () => {
    write('ca.pem', ecCa.certificate.pem);
    write('ca.key', exportPrivateKeyPem(ecCa.privateKey));
    write(
      'ca.cnf',
      '[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 7\ncrl_extensions = ext\n[ext]\nauthorityKeyIdentifier = keyid\n',
    );
    write('index.txt', '');
    write('crlnumber', '1000\n');
    execFileSync('openssl', ['ca', '-config', 'ca.cnf', '-keyfile', 'ca.key', '-cert', 'ca.pem', '-revoke', 'ca.pem', '-crl_reason', 'affiliationChanged'], {
      cwd: dir,
      stdio: 'pipe',
    });
    execFileSync('openssl', ['ca', '-config', 'ca.cnf', '-keyfile', 'ca.key', '-cert', 'ca.pem', '-gencrl', '-out', 'openssl.crl'], {
      cwd: dir,
      stdio: 'pipe',
    });

    const crl = parseCrl(readFileSync(join(dir, 'openssl.crl'), 'utf8'), { issuer: ecCa.certificate });
    expect(crl.crlNumber).toBe(0x1000n);
    expect(crl.revoked).toHaveLength(1);
    expect(crl.revoked[0]?.serialNumberHex).toBe(ecCa.certificate.serialNumberHex); // `-revoke ca.pem` lists the root's own serial
    expect(crl.revoked[0]?.reason).toBe('affiliationChanged');
    expect(crl.nextUpdate && crl.nextUpdate.getTime() - crl.thisUpdate.getTime()).toBe(7 * DAY);
  });

  const good = () => createCrl({ issuer: ecCa, thisUpdate: new Date(now), nextUpdate: new Date(now + DAY), crlNumber: 5n, revoked: revoked.slice(0, 2) });
  const cases: { name: string; input: () => string | Uint8Array; issuer?: () => Issuer; want: string }[] = [
    { name: 'a CRL verified against another CA', input: () => good().der, issuer: () => rsaCa, want: 'ERR_PKI_BAD_SIGNATURE' },
    { name: 'a CRL with a tampered signature', input: () => flipLastByte(good().der), issuer: () => ecCa, want: 'ERR_PKI_BAD_SIGNATURE' },
    { name: 'a CRL with a tampered entry', input: () => tamperSerial(good().der), issuer: () => ecCa, want: 'ERR_PKI_BAD_SIGNATURE' },
    { name: 'PEM with the wrong label', input: () => encodePem('CERTIFICATE', good().der), want: 'ERR_PKI_PEM' },
    { name: 'DER with trailing bytes', input: () => Buffer.concat([good().der, Buffer.from([0, 0])]), want: 'ERR_PKI_DER' },
    { name: 'a certificate instead of a CRL', input: () => ecCa.certificate.der, want: 'ERR_PKI_DER' },
    { name: 'a critical issuingDistributionPoint it cannot process (RFC 5280 §5.2)', input: () => crlWithCriticalIdp(), want: 'ERR_PKI_DER' },
  ];
  it.each(cases)('refuses $name', ({ input, issuer, want }) => {
    const value = input();
    const options = issuer ? { issuer: issuer().certificate } : {};
    expect(codeOf(() => parseCrl(value, options))).toBe(want);
  });

  it('names the critical extension that makes a CRL unusable', () => {
    expect(() => parseCrl(crlWithCriticalIdp())).toThrow(/critical extension 2\.5\.29\.28 is not supported/);
  });

  it('parses without verifying when no issuer is given', () => {
    expect(parseCrl(flipLastByte(good().der)).crlNumber).toBe(5n);
  });
});

function flipLastByte(der: Uint8Array): Uint8Array {
  const copy = new Uint8Array(der);
  copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x01;
  return copy;
}

/** Changes the first revoked serial 0123456789abcdef to 0123456789abcdee, keeping the signature. */
function tamperSerial(der: Uint8Array): Uint8Array {
  const copy = Buffer.from(der);
  const at = copy.indexOf(Buffer.from('0123456789abcdef', 'hex'));
  copy[at + 7] = 0xee;
  return copy;
}

/** A v2 CRL signed by the EC root that carries a critical issuingDistributionPoint (2.5.29.28). */
function crlWithCriticalIdp(): Uint8Array {
  const alg = seq(oid('1.2.840.10045.4.3.2'));
  const idp = seq(oid('2.5.29.28'), bool(true), octets(seq()));
  const tbs = seq(
    int(1),
    alg,
    ecCa.certificate.subjectDer,
    utcOrGeneralizedTime(new Date(now)),
    utcOrGeneralizedTime(new Date(now + DAY)),
    contextConstructed(0, [seq(idp)]),
  );
  return seq(tbs, alg, bitString(sign('sha256', tbs, ecCa.privateKey)));
}
