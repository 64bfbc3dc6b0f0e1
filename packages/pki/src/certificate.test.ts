import { execFileSync } from 'node:child_process';
import { createHash, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Certificate,
  type CertificateProfile,
  certificateMatchesKey,
  createSelfSignedCa,
  generateSerialNumber,
  type Issuer,
  issueCertificate,
  parseCertificate,
  parseCertificateChain,
} from './certificate.js';
import { seq, bool, int } from './codec/der-writer.js';
import { encodePem } from './codec/pem.js';
import { type CertificateRequest, createCsr, parseCsr } from './csr.js';
import { formatFingerprint } from './fingerprint.js';
import { generateKeyPair, importPrivateKeyPem, type KeyType } from './keys.js';
import type { DistinguishedName } from './name.js';
import type { SubjectAltNamesInput } from './san.js';
import { codeOf } from './test-support/expect-code.js';
import { buildRawCsr } from './test-support/raw-csr.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const now = Date.now();

let dir: string;
/** Runs the openssl CLI in the temporary directory; stderr is folded into the output. */
function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

/** A CA made by {@link createSelfSignedCa} and parsed back. */
function makeCa(type: KeyType, subject: DistinguishedName, options: { pathLength?: number; notAfter?: Date } = {}): Issuer {
  const { privateKey } = generateKeyPair(type);
  const { der } = createSelfSignedCa({
    subject,
    privateKey,
    notBefore: new Date(now - DAY),
    notAfter: options.notAfter ?? new Date(now + 3650 * DAY),
    serialNumber: generateSerialNumber(),
    ...(options.pathLength !== undefined ? { pathLength: options.pathLength } : {}),
  });
  return { certificate: parseCertificate(der), privateKey };
}

function makeRequest(type: KeyType, subject: DistinguishedName, subjectAltNames?: SubjectAltNamesInput): CertificateRequest & { privateKey: KeyObject } {
  const { privateKey } = generateKeyPair(type);
  return { ...parseCsr(createCsr({ privateKey, subject, ...(subjectAltNames ? { subjectAltNames } : {}) }).pem), privateKey };
}

function profile(overrides: Partial<CertificateProfile> = {}): CertificateProfile {
  return {
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + 90 * DAY),
    subjectAltNames: { dns: ['mail.example.org'] },
    ...overrides,
  };
}

let rsaCa: Issuer;
let ecCa: Issuer;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pki-certificate-'));
  rsaCa = makeCa('rsa2048', [
    { type: 'C', value: 'DE' },
    { type: 'O', value: 'Example' },
    { type: 'CN', value: 'Example RSA Root' },
  ]);
  ecCa = makeCa('p256', [{ type: 'CN', value: 'Example EC Root' }], { pathLength: 1 });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('createSelfSignedCa', () => {
  it.each([
    { name: 'RSA-2048', ca: () => rsaCa, want: { alg: 'sha256WithRSAEncryption', pathLength: undefined } },
    { name: 'P-256 with pathLength 1', ca: () => ecCa, want: { alg: 'ecdsa-with-SHA256', pathLength: 1 } },
  ])('makes a $name root that openssl accepts as its own trust anchor', ({ ca, want }) => {
    const cert = ca().certificate;
    expect(cert.isCa).toBe(true);
    expect(cert.pathLength).toBe(want.pathLength);
    expect(cert.signatureAlgorithm?.name).toBe(want.alg);
    expect([...cert.keyUsage].sort()).toEqual(['cRLSign', 'digitalSignature', 'keyCertSign']);
    expect(cert.subjectKeyIdentifier).toMatch(/^[0-9a-f]{40}$/);
    expect(cert.authorityKeyIdentifier).toBe(cert.subjectKeyIdentifier);
    expect(Buffer.from(cert.issuerDer).equals(cert.subjectDer)).toBe(true);
    expect(cert.extensions.find((e) => e.oid === '2.5.29.19')?.critical).toBe(true);
    expect(cert.extensions.find((e) => e.oid === '2.5.29.15')?.critical).toBe(true);

    write('root.pem', cert.pem);
    expect(openssl('verify', '-CAfile', 'root.pem', 'root.pem')).toContain('root.pem: OK');
    const text = openssl('x509', '-in', 'root.pem', '-noout', '-text');
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    if (want.pathLength !== undefined) expect(text).toContain(`pathlen:${want.pathLength}`);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
  });

  it('refuses misuse with TypeError and weak keys with ERR_PKI_WEAK_KEY', () => {
    const { privateKey } = generateKeyPair('p256');
    const base = {
      subject: [{ type: 'CN', value: 'x' }],
      privateKey,
      notBefore: new Date(now),
      notAfter: new Date(now + DAY),
      serialNumber: new Uint8Array([1]),
    };
    expect(codeOf(() => createSelfSignedCa({ ...base, subject: [] }))).toBe('uncoded TypeError');
    expect(codeOf(() => createSelfSignedCa({ ...base, pathLength: -1 }))).toBe('uncoded TypeError');
    expect(codeOf(() => createSelfSignedCa({ ...base, notAfter: base.notBefore }))).toBe('uncoded TypeError');
    expect(codeOf(() => createSelfSignedCa({ ...base, subject: [{ type: 'bogus', value: 'x' }] }))).toBe('ERR_PKI_INVALID_NAME');
  });
});

describe('issueCertificate', () => {
  it.each([
    {
      name: 'an RSA-2048 CA issuing for a P-256 key',
      ca: () => rsaCa,
      leaf: 'p256' as const,
      wantAlg: 'sha256WithRSAEncryption',
      wantKu: ['digitalSignature'],
    },
    {
      name: 'a P-256 CA issuing for an RSA-2048 key',
      ca: () => ecCa,
      leaf: 'rsa2048' as const,
      wantAlg: 'ecdsa-with-SHA256',
      wantKu: ['digitalSignature', 'keyEncipherment'],
    },
    { name: 'a P-256 CA issuing for a P-256 key', ca: () => ecCa, leaf: 'p256' as const, wantAlg: 'ecdsa-with-SHA256', wantKu: ['digitalSignature'] },
  ])('$name yields a certificate that openssl verifies and reads as issued', ({ ca, leaf, wantAlg, wantKu }) => {
    const issuer = ca();
    const request = makeRequest(
      leaf,
      [
        { type: 'O', value: 'Example' },
        { type: 'CN', value: 'mail.example.org' },
      ],
      {
        dns: ['mail.example.org', 'smtp.example.org'],
        ip: ['192.0.2.1', '2001:db8::1'],
      },
    );
    const serialNumber = new Uint8Array([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
    const issued = issueCertificate({
      request,
      issuer,
      serialNumber,
      profile: profile({
        subjectAltNames: { dns: ['mail.example.org', 'smtp.example.org'], ip: ['192.0.2.1', '2001:db8::1'] },
        crlDistributionPoints: ['http://ca.example.org/root.crl'],
        ocspUrls: ['http://ca.example.org/ocsp'],
      }),
    });
    const cert = parseCertificate(issued.pem);
    // What issueCertificate reports is what the certificate holds (the CA stores these fields).
    expect({
      subject: issued.subject,
      subjectAltNames: issued.subjectAltNames,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      fingerprintSha256: issued.fingerprintSha256,
    }).toEqual({
      subject: cert.subject,
      subjectAltNames: cert.subjectAltNames,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      fingerprintSha256: cert.fingerprintSha256,
    });

    expect(cert.version).toBe(3);
    expect(cert.serialNumberHex).toBe('0123456789abcdef');
    expect(Buffer.from(cert.issuerDer).equals(issuer.certificate.subjectDer)).toBe(true);
    expect(cert.subject).toEqual([
      { type: 'O', value: 'Example' },
      { type: 'CN', value: 'mail.example.org' },
    ]);
    expect(cert.subjectAltNames).toEqual({ dns: ['mail.example.org', 'smtp.example.org'], email: [], ip: ['192.0.2.1', '2001:db8::1'] });
    expect(cert.isCa).toBe(false);
    expect(cert.keyUsage).toEqual(wantKu);
    expect(cert.extendedKeyUsage).toEqual(['serverAuth', 'clientAuth']);
    expect(cert.crlDistributionPoints).toEqual(['http://ca.example.org/root.crl']);
    expect(cert.ocspUrls).toEqual(['http://ca.example.org/ocsp']);
    expect(cert.signatureAlgorithm?.name).toBe(wantAlg);
    expect(cert.authorityKeyIdentifier).toBe(issuer.certificate.subjectKeyIdentifier);
    expect(Buffer.from(cert.publicKeyDer).equals(request.publicKeyDer)).toBe(true);
    expect(certificateMatchesKey(cert, request.privateKey)).toBe(true);
    expect(cert.notBefore.getTime()).toBe(Math.floor((now - HOUR) / 1000) * 1000);
    const critical = Object.fromEntries(cert.extensions.map((e) => [e.oid, e.critical]));
    expect(critical).toMatchObject({ '2.5.29.19': true, '2.5.29.15': true, '2.5.29.17': false, '2.5.29.37': false });

    write('ca.pem', issuer.certificate.pem);
    write('leaf.pem', issued.pem);
    expect(openssl('verify', '-CAfile', 'ca.pem', 'leaf.pem')).toContain('leaf.pem: OK');
    const text = openssl('x509', '-in', 'leaf.pem', '-noout', '-text');
    expect(text).toContain('DNS:mail.example.org, DNS:smtp.example.org, IP Address:192.0.2.1, IP Address:2001:DB8:0:0:0:0:0:1');
    expect(text).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toContain('URI:http://ca.example.org/root.crl');
    // RFC 5280 §4.2.2.1 authorityInfoAccess, as openssl ocsp_uri reads it.
    expect(text).toMatch(/Authority Information Access:\s+OCSP - URI:http:\/\/ca\.example\.org\/ocsp/);
    expect(openssl('x509', '-in', 'leaf.pem', '-noout', '-ocsp_uri').trim()).toBe('http://ca.example.org/ocsp');
    expect(critical['1.3.6.1.5.5.7.1.1']).toBe(false);
    // SKI by RFC 5280 §4.2.1.2 method (1), as openssl computes "hash".
    const ski = openssl('x509', '-in', 'leaf.pem', '-noout', '-ext', 'subjectKeyIdentifier');
    expect(ski.replace(/[\s:]/g, '').toLowerCase()).toContain(cert.subjectKeyIdentifier);
    const fingerprint = openssl('x509', '-in', 'leaf.pem', '-noout', '-fingerprint', '-sha256');
    expect(fingerprint.trim()).toBe(`sha256 Fingerprint=${formatFingerprint(cert.fingerprintSha256)}`);
  });

  it('keeps the CN only when its name is approved, and then marks subjectAltName non-critical', () => {
    const request = makeRequest(
      'p256',
      [
        { type: 'CN', value: 'a.example.org' },
        { type: 'emailAddress', value: 'ops@example.org' },
      ],
      {
        dns: ['a.example.org', 'b.example.org'],
      },
    );
    const table = [
      { names: { dns: ['a.example.org'] }, wantSubject: [{ type: 'CN', value: 'a.example.org' }], wantCritical: false },
      { names: { dns: ['b.example.org'] }, wantSubject: [], wantCritical: true },
      { names: { email: ['ops@example.org'] }, wantSubject: [{ type: 'emailAddress', value: 'ops@example.org' }], wantCritical: false },
    ];
    for (const { names, wantSubject, wantCritical } of table) {
      const cert = parseCertificate(
        issueCertificate({ request, issuer: ecCa, serialNumber: generateSerialNumber(), profile: profile({ subjectAltNames: names }) }).der,
      );
      expect(cert.subject).toEqual(wantSubject);
      // RFC 5280 §4.2.1.6: critical exactly when the subject is empty.
      expect(cert.extensions.find((e) => e.oid === '2.5.29.17')?.critical).toBe(wantCritical);
    }
  });

  it('holds a CN or emailAddress given by its OID to the same approval as one given by short name', () => {
    const request = makeRequest('p256', [], { dns: ['a.example.org'] });
    const subject = [
      { type: '2.5.4.3', value: 'a.example.org' },
      { type: '2.5.4.3', value: 'evil.example.org' },
      { type: '2.5.4.3', value: '#020105' },
      { type: '1.2.840.113549.1.9.1', value: 'ops@example.org' },
    ];
    const issued = issueCertificate({
      request: { ...request, subject },
      issuer: ecCa,
      serialNumber: generateSerialNumber(),
      profile: profile({ subjectAltNames: { dns: ['a.example.org'] } }),
    });
    expect(parseCertificate(issued.der).subject).toEqual([{ type: 'CN', value: 'a.example.org' }]);
  });

  it('issues for a CN-only request (the CN counts as a requested DNS name)', () => {
    const request = makeRequest('p256', [{ type: 'CN', value: 'Legacy.Example.org' }]);
    const cert = parseCertificate(
      issueCertificate({ request, issuer: ecCa, serialNumber: generateSerialNumber(), profile: profile({ subjectAltNames: { dns: ['legacy.example.org'] } }) })
        .der,
    );
    expect(cert.subjectAltNames.dns).toEqual(['legacy.example.org']);
    expect(cert.subject).toEqual([{ type: 'CN', value: 'Legacy.Example.org' }]);
  });

  it('defaults to emailProtection and clientAuth when only email addresses are certified', () => {
    const request = makeRequest('p256', [], { email: ['alice@example.org'] });
    const issued = issueCertificate({
      request,
      issuer: rsaCa,
      serialNumber: generateSerialNumber(),
      profile: profile({ subjectAltNames: { email: ['alice@example.org'] } }),
    });
    const cert = parseCertificate(issued.der);
    expect(cert.extendedKeyUsage).toEqual(['emailProtection', 'clientAuth']);
    expect(cert.subject).toEqual([]);
    write('ca.pem', rsaCa.certificate.pem);
    write('mail.pem', issued.pem);
    expect(openssl('verify', '-CAfile', 'ca.pem', '-purpose', 'smimesign', 'mail.pem')).toContain('mail.pem: OK');
    expect(openssl('x509', '-in', 'mail.pem', '-noout', '-text')).toMatch(/Subject Alternative Name: critical\s+email:alice@example.org/);
  });

  it('writes GeneralizedTime for validity from 2050 on (RFC 5280 §4.1.2.5)', () => {
    const longLived = makeCa('p256', [{ type: 'CN', value: 'Long-lived Root' }], { notAfter: new Date('2060-01-01T00:00:00Z') });
    const request = makeRequest('p256', [], { dns: ['far.example.org'] });
    const notAfter = new Date('2051-06-01T12:00:00Z');
    const cert = parseCertificate(
      issueCertificate({
        request,
        issuer: longLived,
        serialNumber: generateSerialNumber(),
        profile: profile({ subjectAltNames: { dns: ['far.example.org'] }, notAfter }),
      }).der,
    );
    expect(cert.notAfter.toISOString()).toBe('2051-06-01T12:00:00.000Z');
    expect(Buffer.from(cert.tbsDer).includes(Buffer.from('180f32303531303630313132303030305a', 'hex'))).toBe(true);
    expect(longLived.certificate.notAfter.toISOString()).toBe('2060-01-01T00:00:00.000Z');
  });

  it('carries hook extensions and profile usages through', () => {
    const request = makeRequest('p256', [], { dns: ['hook.example.org'] });
    const custom = { oid: '1.3.6.1.4.1.55555.1', critical: false, value: seq(int(7)) };
    const cert = parseCertificate(
      issueCertificate({
        request,
        issuer: ecCa,
        serialNumber: generateSerialNumber(),
        profile: profile({
          subjectAltNames: { dns: ['hook.example.org'] },
          keyUsage: ['digitalSignature', 'keyAgreement'],
          extendedKeyUsage: ['codeSigning'],
          extraExtensions: [custom],
        }),
      }).der,
    );
    expect(cert.keyUsage).toEqual(['digitalSignature', 'keyAgreement']);
    expect(cert.extendedKeyUsage).toEqual(['codeSigning']);
    const found = cert.extensions.find((e) => e.oid === custom.oid);
    expect(found && Buffer.from(found.value).equals(custom.value)).toBe(true);
  });

  describe('refusals', () => {
    const request = () => makeRequest('p256', [{ type: 'CN', value: 'mail.example.org' }], { dns: ['mail.example.org'] });
    const basicConstraintsCa = { oid: '2.5.29.19', critical: true, value: seq(bool(true)) };
    const cases: { name: string; input: () => Parameters<typeof issueCertificate>[0]; want: string }[] = [
      {
        name: 'a name the requester did not ask for',
        input: () => ({
          request: request(),
          issuer: ecCa,
          serialNumber: new Uint8Array([1]),
          profile: profile({ subjectAltNames: { dns: ['mail.example.org', 'evil.example.org'] } }),
        }),
        want: 'ERR_PKI_INVALID_NAME',
      },
      {
        name: 'an IP address the requester did not ask for',
        input: () => ({ request: request(), issuer: ecCa, serialNumber: new Uint8Array([1]), profile: profile({ subjectAltNames: { ip: ['192.0.2.7'] } }) }),
        want: 'ERR_PKI_INVALID_NAME',
      },
      {
        name: 'no names at all',
        input: () => ({ request: request(), issuer: ecCa, serialNumber: new Uint8Array([1]), profile: profile({ subjectAltNames: {} }) }),
        want: 'ERR_PKI_INVALID_NAME',
      },
      {
        name: 'a serial of 21 octets',
        input: () => ({ request: request(), issuer: ecCa, serialNumber: new Uint8Array(21).fill(1), profile: profile() }),
        want: 'uncoded TypeError',
      },
      {
        name: 'a zero serial',
        input: () => ({ request: request(), issuer: ecCa, serialNumber: new Uint8Array([0]), profile: profile() }),
        want: 'uncoded TypeError',
      },
      {
        name: 'a negative serial',
        input: () => ({ request: request(), issuer: ecCa, serialNumber: new Uint8Array([0x80, 1]), profile: profile() }),
        want: 'uncoded TypeError',
      },
      {
        name: 'a serial with a redundant leading zero',
        input: () => ({ request: request(), issuer: ecCa, serialNumber: new Uint8Array([0, 1]), profile: profile() }),
        want: 'uncoded TypeError',
      },
      {
        name: 'an empty serial',
        input: () => ({ request: request(), issuer: ecCa, serialNumber: new Uint8Array(0), profile: profile() }),
        want: 'uncoded TypeError',
      },
      {
        name: 'an extra basicConstraints with cA=TRUE',
        input: () => ({ request: request(), issuer: ecCa, serialNumber: new Uint8Array([1]), profile: profile({ extraExtensions: [basicConstraintsCa] }) }),
        want: 'ERR_PKI_CA_REQUESTED',
      },
      {
        name: 'an extra extension the profile already sets',
        input: () => ({
          request: request(),
          issuer: ecCa,
          serialNumber: new Uint8Array([1]),
          profile: profile({ extraExtensions: [{ oid: '2.5.29.17', critical: false, value: seq() }] }),
        }),
        want: 'uncoded TypeError',
      },
      {
        name: 'an extra extension that is not DER',
        input: () => ({
          request: request(),
          issuer: ecCa,
          serialNumber: new Uint8Array([1]),
          profile: profile({ extraExtensions: [{ oid: '1.2.3.4', critical: false, value: new Uint8Array([0x30, 0x05]) }] }),
        }),
        want: 'uncoded TypeError',
      },
      {
        name: 'notAfter after the issuer notAfter',
        input: () => ({
          request: request(),
          issuer: ecCa,
          serialNumber: new Uint8Array([1]),
          profile: profile({ notAfter: new Date(ecCa.certificate.notAfter.getTime() + 1000) }),
        }),
        want: 'uncoded TypeError',
      },
      {
        name: 'notBefore not before notAfter',
        input: () => ({
          request: request(),
          issuer: ecCa,
          serialNumber: new Uint8Array([1]),
          profile: profile({ notBefore: new Date(now + DAY), notAfter: new Date(now + DAY) }),
        }),
        want: 'uncoded TypeError',
      },
      {
        name: 'an invalid date',
        input: () => ({ request: request(), issuer: ecCa, serialNumber: new Uint8Array([1]), profile: profile({ notAfter: new Date(Number.NaN) }) }),
        want: 'uncoded TypeError',
      },
      {
        name: 'keyCertSign in a leaf',
        input: () => ({ request: request(), issuer: ecCa, serialNumber: new Uint8Array([1]), profile: profile({ keyUsage: ['keyCertSign'] }) }),
        want: 'uncoded TypeError',
      },
      {
        name: 'an issuer key that is not the issuer certificate key',
        input: () => ({
          request: request(),
          issuer: { certificate: ecCa.certificate, privateKey: rsaCa.privateKey },
          serialNumber: new Uint8Array([1]),
          profile: profile(),
        }),
        want: 'ERR_PKI_KEY_MISMATCH',
      },
      {
        name: 'a CRL distribution point that is not a URI',
        input: () => ({ request: request(), issuer: ecCa, serialNumber: new Uint8Array([1]), profile: profile({ crlDistributionPoints: ['not a uri'] }) }),
        want: 'uncoded TypeError',
      },
      {
        name: 'an OCSP URL that is not http or https',
        input: () => ({ request: request(), issuer: ecCa, serialNumber: new Uint8Array([1]), profile: profile({ ocspUrls: ['ldap://ca.example.org/ocsp'] }) }),
        want: 'uncoded TypeError',
      },
    ];
    it.each(cases)('refuses $name', ({ input, want }) => {
      const options = input();
      expect(codeOf(() => issueCertificate(options))).toBe(want);
    });

    it('refuses an issuer certificate that is not a CA', () => {
      const leafRequest = makeRequest('p256', [], { dns: ['mail.example.org'] });
      const leaf = parseCertificate(issueCertificate({ request: leafRequest, issuer: ecCa, serialNumber: new Uint8Array([2]), profile: profile() }).der);
      expect(
        codeOf(() =>
          issueCertificate({
            request: request(),
            issuer: { certificate: leaf, privateKey: leafRequest.privateKey },
            serialNumber: new Uint8Array([1]),
            profile: profile(),
          }),
        ),
      ).toBe('uncoded TypeError');
    });
  });

  it("carries subject attributes name.ts does not know (a SCEP router's unstructuredName) through", () => {
    write('req.cnf', '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n');
    openssl(
      'req',
      '-config',
      'req.cnf',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'router.key',
      '-out',
      'router.csr',
      '-subj',
      '/CN=router1.example.org/unstructuredName=router1',
    );
    const request = parseCsr(readFileSync(join(dir, 'router.csr'), 'utf8'));
    expect(request.subject).toEqual([
      { type: 'CN', value: 'router1.example.org' },
      { type: '1.2.840.113549.1.9.2', value: 'router1' },
    ]);
    const issued = issueCertificate({
      request,
      issuer: ecCa,
      serialNumber: generateSerialNumber(),
      profile: profile({ subjectAltNames: { dns: ['router1.example.org'] } }),
    });
    expect(parseCertificate(issued.der).subject).toEqual(request.subject);
    write('ca.pem', ecCa.certificate.pem);
    write('router.pem', issued.pem);
    expect(openssl('verify', '-CAfile', 'ca.pem', 'router.pem')).toContain('router.pem: OK');
    expect(openssl('x509', '-in', 'router.pem', '-noout', '-subject')).toContain('unstructuredName = router1');
  });

  it('writes a requested string that spells # and hex as that string, and a non-string value byte for byte (regression: the string became the DER it spelled)', () => {
    const { privateKey } = generateKeyPair('p256');
    const spelled = '#300602010102010a'; // SEQUENCE { INTEGER 1, INTEGER 10 }, spelled as text
    const octetString = Uint8Array.of(0x04, 0x02, 0x68, 0x69);
    const request = parseCsr(
      buildRawCsr({
        privateKey,
        subject: [
          { type: 'CN', value: 'router1.example.org' },
          { type: '1.2.840.113549.1.9.2', value: spelled },
          { type: '1.2.840.113549.1.9.2', der: octetString },
        ],
      }),
    );
    const issued = issueCertificate({
      request,
      issuer: ecCa,
      serialNumber: generateSerialNumber(),
      profile: profile({ subjectAltNames: { dns: ['router1.example.org'] } }),
    });
    const cert = parseCertificate(issued.der);
    expect(cert.subject).toEqual([
      { type: 'CN', value: 'router1.example.org' },
      { type: '1.2.840.113549.1.9.2', value: `\\${spelled}` },
      { type: '1.2.840.113549.1.9.2', value: '#04026869' },
    ]);
    const hex = Buffer.from(cert.subjectDer).toString('hex');
    expect(hex).toContain(`0c${spelled.length.toString(16).padStart(2, '0')}${Buffer.from(spelled).toString('hex')}`);
    expect(hex).toContain('04026869');
    expect(hex).not.toContain('300602010102010a');
  });

  it('issues from a CA made by `openssl req -x509`, copying its issuer name byte for byte', () => {
    write('req.cnf', '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n');
    // A multi-valued RDN that a re-encoding of the decoded name would flatten: only a byte copy verifies.
    openssl(
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
      'adopted.key',
      '-out',
      'adopted.pem',
      '-days',
      '30',
      '-multivalue-rdn',
      '-subj',
      '/C=DE/O=Adopted+OU=Unit/CN=Adopted Root',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-addext',
      'subjectKeyIdentifier=hash',
    );
    const adopted: Issuer = {
      certificate: parseCertificate(readFileSync(join(dir, 'adopted.pem'), 'utf8')),
      privateKey: importPrivateKeyPem(readFileSync(join(dir, 'adopted.key'), 'utf8')),
    };
    expect(adopted.certificate.isCa).toBe(true);
    // DER sorts the SET of the multi-valued RDN: OU (shorter encoding) comes before O.
    expect(adopted.certificate.subject.map((a) => a.type)).toEqual(['C', 'OU', 'O', 'CN']);
    expect(certificateMatchesKey(adopted.certificate, adopted.privateKey)).toBe(true);

    const request = makeRequest('rsa2048', [], { dns: ['adopted.example.org'] });
    const issued = issueCertificate({
      request,
      issuer: adopted,
      serialNumber: generateSerialNumber(),
      profile: profile({ subjectAltNames: { dns: ['adopted.example.org'] }, notAfter: new Date(now + 7 * DAY) }),
    });
    const cert = parseCertificate(issued.der);
    expect(Buffer.from(cert.issuerDer).equals(adopted.certificate.subjectDer)).toBe(true);
    expect(cert.authorityKeyIdentifier).toBe(adopted.certificate.subjectKeyIdentifier);
    write('adopted-leaf.pem', issued.pem);
    expect(openssl('verify', '-CAfile', 'adopted.pem', 'adopted-leaf.pem')).toContain('adopted-leaf.pem: OK');
  });
});

describe('parseCertificate', () => {
  it('reads a certificate made by openssl, including a SHA-1 signed root (parsed, not trusted)', () => {
    write('req.cnf', '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n');
    openssl(
      'req',
      '-config',
      'req.cnf',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-sha1',
      '-nodes',
      '-keyout',
      'old.key',
      '-out',
      'old.pem',
      '-days',
      '30',
      '-subj',
      '/CN=Old Root',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    );
    const cert = parseCertificate(readFileSync(join(dir, 'old.pem'), 'utf8'));
    expect(cert.signatureAlgorithmOid).toBe('1.2.840.113549.1.1.5');
    expect(cert.signatureAlgorithm).toBeUndefined();
    expect(cert.subject).toEqual([{ type: 'CN', value: 'Old Root' }]);
    const serial = openssl('x509', '-in', 'old.pem', '-noout', '-serial').trim().replace('serial=', '');
    expect(BigInt(`0x${cert.serialNumberHex}`)).toBe(BigInt(`0x${serial}`));
  });

  it('computes the SKI of issued certificates from the key bits (RFC 5280 §4.2.1.2 method 1)', () => {
    const request = makeRequest('p256', [], { dns: ['ski.example.org'] });
    const cert = parseCertificate(
      issueCertificate({ request, issuer: ecCa, serialNumber: generateSerialNumber(), profile: profile({ subjectAltNames: { dns: ['ski.example.org'] } }) })
        .der,
    );
    const bits = request.publicKeyDer.subarray(request.publicKeyDer.length - 65); // 04 || X || Y of a P-256 key
    expect(cert.subjectKeyIdentifier).toBe(createHash('sha1').update(bits).digest('hex'));
  });

  const good = () => ecCa.certificate.der;
  const cases: { name: string; input: () => string | Uint8Array; want: string }[] = [
    { name: 'PEM with another label', input: () => encodePem('CERTIFICATE REQUEST', good()), want: 'ERR_PKI_PEM' },
    { name: 'PEM with two certificates', input: () => ecCa.certificate.pem + rsaCa.certificate.pem, want: 'ERR_PKI_PEM' },
    { name: 'text that is not PEM', input: () => 'hello', want: 'ERR_PKI_PEM' },
    { name: 'DER with a trailing byte', input: () => Buffer.concat([good(), Buffer.from([0])]), want: 'ERR_PKI_DER' },
    { name: 'DER cut short', input: () => good().subarray(0, good().length - 1), want: 'ERR_PKI_DER' },
    { name: 'DER of another structure', input: () => seq(int(1)), want: 'ERR_PKI_DER' },
    { name: 'empty input', input: () => new Uint8Array(0), want: 'ERR_PKI_DER' },
    { name: 'input over 64 KiB', input: () => new Uint8Array(70_000), want: 'ERR_PKI_INPUT_TOO_LARGE' },
    { name: 'a tampered signature algorithm (outer differs from inner)', input: () => tamperOuterAlgorithm(good()), want: 'ERR_PKI_DER' },
  ];
  it.each(cases)('refuses $name', ({ input, want }) => {
    const value = input();
    expect(codeOf(() => parseCertificate(value))).toBe(want);
  });

  it('parses a chain in order and refuses blocks with another label', () => {
    const chain = parseCertificateChain(`${ecCa.certificate.pem}explanatory text\n${rsaCa.certificate.pem}`);
    expect(chain.map((c: Certificate) => c.fingerprintSha256)).toEqual([ecCa.certificate.fingerprintSha256, rsaCa.certificate.fingerprintSha256]);
    expect(codeOf(() => parseCertificateChain(ecCa.certificate.pem + encodePem('X509 CRL', good())))).toBe('ERR_PKI_PEM');
  });

  it('keeps its own copy of the input bytes', () => {
    const bytes = new Uint8Array(ecCa.certificate.der);
    const cert = parseCertificate(bytes);
    bytes.fill(0);
    expect(cert.subject).toEqual([{ type: 'CN', value: 'Example EC Root' }]);
    expect(Buffer.from(cert.der).equals(ecCa.certificate.der)).toBe(true);
  });

  it('certificateMatchesKey answers false for another key, of the same or another type', () => {
    expect(certificateMatchesKey(ecCa.certificate, ecCa.privateKey)).toBe(true);
    expect(certificateMatchesKey(ecCa.certificate, generateKeyPair('p256').privateKey)).toBe(false);
    expect(certificateMatchesKey(ecCa.certificate, rsaCa.privateKey)).toBe(false);
  });
});

/** Changes sha256 to sha384 in the outer signatureAlgorithm only (the last OID before the signature). */
function tamperOuterAlgorithm(der: Uint8Array): Uint8Array {
  const copy = Buffer.from(der);
  const ecdsaSha256 = Buffer.from('06082a8648ce3d040302', 'hex');
  const at = copy.lastIndexOf(ecdsaSha256);
  copy[at + ecdsaSha256.length - 1] = 0x03;
  return copy;
}
