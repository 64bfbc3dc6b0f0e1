/**
 * The OCSP codec (RFC 6960) against OpenSSL, a second implementation: requests written by
 * `openssl ocsp -reqout` (SHA-1 and SHA-256 CertIDs, with and without a nonce, several
 * certificates, signed) parse to the right CertIDs and nonce; responses we sign are read by
 * `openssl ocsp -respin` (verified against the CA, nonce checked, status, reason and times as
 * given), for P-256 and RSA CAs; a response openssl's own responder signs parses and verifies here.
 * Malformed requests and misuse fail with their codes.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Certificate, generateSerialNumber, type Issuer, issueCertificate, parseCertificate } from './certificate.js';
import { bool, contextConstructed, explicit, int, octets, oid, seq } from './codec/der-writer.js';
import { createCsr, parseCsr } from './csr.js';
import { exportPrivateKeyPem, generateKeyPair, type KeyType } from './keys.js';
import {
  createOcspRequest,
  createOcspResponse,
  MAX_OCSP_REQUEST_CERT_IDS,
  ocspCertIdMatchesIssuer,
  ocspErrorResponse,
  type OcspSingleResponse,
  parseOcspRequest,
  parseOcspResponse,
} from './ocsp.js';
import { codeOf } from './test-support/expect-code.js';
import { makeTestCa } from './test-support/issuers.js';

const DAY = 24 * 3600_000;
const now = Math.floor(Date.now() / 1000) * 1000;

let dir: string;
function write(name: string, data: string | Uint8Array): string {
  writeFileSync(join(dir, name), data);
  return name;
}
/** Runs openssl in the temp dir; stdout and stderr together ("Response verify OK" is on stderr). */
function openssl(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
function read(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(dir, name)));
}

const makeCa = (type: KeyType, cn: string): Issuer => makeTestCa(type, cn, now);

function makeLeaf(issuer: Issuer, name: string): { certificate: Certificate; keyPem: string } {
  const { privateKey } = generateKeyPair('p256');
  const request = parseCsr(createCsr({ privateKey, subject: [{ type: 'CN', value: name }], subjectAltNames: { dns: [name] } }).der);
  const issued = issueCertificate({
    request,
    issuer,
    serialNumber: generateSerialNumber(),
    profile: { notBefore: new Date(now - DAY), notAfter: new Date(now + 90 * DAY), subjectAltNames: request.subjectAltNames },
  });
  return { certificate: parseCertificate(issued.der), keyPem: exportPrivateKeyPem(privateKey) };
}

let ecCa: Issuer;
let rsaCa: Issuer;
let other: Issuer;
let leaf: Certificate;
let leafKeyPem: string;
let second: Certificate;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pki-ocsp-'));
  ecCa = makeCa('p256', 'OCSP EC Root');
  rsaCa = makeCa('rsa2048', 'OCSP RSA Root');
  other = makeCa('p256', 'Someone Else');
  ({ certificate: leaf, keyPem: leafKeyPem } = makeLeaf(ecCa, 'one.example.test'));
  second = makeLeaf(ecCa, 'two.example.test').certificate;
  write('ca.pem', ecCa.certificate.pem);
  write('rsa-ca.pem', rsaCa.certificate.pem);
  write('leaf.pem', leaf.pem);
  write('leaf.key', leafKeyPem);
  write('second.pem', second.pem);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('parseOcspRequest of what openssl sends', () => {
  it.each([
    { hash: 'sha1', length: 20 },
    { hash: 'sha256', length: 32 },
  ] as const)('reads a $hash CertID with a nonce, naming our issuer and the serial', ({ hash, length }) => {
    expect(openssl('ocsp', '-issuer', 'ca.pem', `-${hash}`, '-cert', 'leaf.pem', '-nonce', '-reqout', 'req.der').status).toBe(0);
    const request = parseOcspRequest(read('req.der'));
    expect(request.certIds).toHaveLength(1);
    const [certId] = request.certIds;
    expect(certId).toMatchObject({ hashAlgorithm: hash, serialNumberHex: leaf.serialNumberHex });
    expect(certId?.issuerNameHash).toHaveLength(length);
    expect(ocspCertIdMatchesIssuer(certId!, ecCa.certificate)).toBe(true);
    expect(ocspCertIdMatchesIssuer(certId!, other.certificate)).toBe(false);
    expect(request.nonce).toHaveLength(16); // openssl's default nonce
    expect(request).toMatchObject({ signed: false, nonceIgnored: false });
  });

  it('reads several certificates without a nonce, in order', () => {
    expect(openssl('ocsp', '-issuer', 'ca.pem', '-cert', 'leaf.pem', '-cert', 'second.pem', '-no_nonce', '-reqout', 'req.der').status).toBe(0);
    const request = parseOcspRequest(read('req.der'));
    expect(request.certIds.map((c) => c.serialNumberHex)).toEqual([leaf.serialNumberHex, second.serialNumberHex]);
    expect(request.nonce).toBeUndefined();
  });

  it('accepts a signed request and reports it as signed (the signature is not checked)', () => {
    const res = openssl('ocsp', '-issuer', 'ca.pem', '-cert', 'leaf.pem', '-signer', 'leaf.pem', '-signkey', 'leaf.key', '-reqout', 'req.der');
    expect(res.status, res.output).toBe(0);
    const request = parseOcspRequest(read('req.der'));
    expect(request.signed).toBe(true);
    expect(request.certIds[0]?.serialNumberHex).toBe(leaf.serialNumberHex);
  });
});

describe('createOcspResponse read by openssl', () => {
  const cases: { name: string; status: OcspSingleResponse['status']; line: RegExp }[] = [
    { name: 'good', status: { type: 'good' }, line: /^leaf\.pem: good$/m },
    {
      name: 'revoked with a reason',
      status: { type: 'revoked', revokedAt: new Date(now - 3600_000), reason: 'keyCompromise' },
      line: /^\s*Reason: keyCompromise$/m,
    },
    { name: 'revoked without a reason', status: { type: 'revoked', revokedAt: new Date(now - 3600_000) }, line: /^leaf\.pem: revoked$/m },
    { name: 'unknown', status: { type: 'unknown' }, line: /^leaf\.pem: unknown$/m },
  ];
  for (const [caName, caFile] of [
    ['P-256', 'ca.pem'],
    ['RSA', 'rsa-ca.pem'],
  ] as const) {
    it.each(cases)(`${caName} CA: $name, verified, nonce echoed`, ({ status, line }) => {
      const issuer = caName === 'RSA' ? rsaCa : ecCa;
      const cert = caName === 'RSA' ? makeLeaf(rsaCa, 'rsa.example.test').certificate : leaf;
      write('subject.pem', cert.pem);
      expect(openssl('ocsp', '-issuer', caFile, '-cert', 'subject.pem', '-nonce', '-reqout', 'req.der').status).toBe(0);
      const request = parseOcspRequest(read('req.der'));
      const der = createOcspResponse({
        issuer,
        producedAt: new Date(now),
        nonce: request.nonce,
        responses: [{ certId: request.certIds[0]!, status, thisUpdate: new Date(now - 60_000), nextUpdate: new Date(now + 3600_000) }],
      });
      write('resp.der', der);
      // With -cert openssl prints the certificate's status (-no_nonce: else it makes a request
      // with a nonce of its own and compares); with -reqin it checks the nonce we echoed.
      const res = openssl('ocsp', '-respin', 'resp.der', '-issuer', caFile, '-cert', 'subject.pem', '-no_nonce', '-CAfile', caFile, '-resp_text');
      expect(res.output).toMatch(/^Response verify OK$/m);
      expect(res.output.replace(/subject\.pem/g, 'leaf.pem')).toMatch(line);
      expect(res.output).toMatch(/Responder Id: [0-9A-F]{40}/);
      expect(res.status, res.output).toBe(0);
      const nonce = openssl('ocsp', '-respin', 'resp.der', '-reqin', 'req.der', '-no_nonce', '-issuer', caFile, '-CAfile', caFile);
      expect(nonce.output).toMatch(/^Response verify OK$/m);
      expect(nonce.output).not.toMatch(/nonce/i);
    });
  }

  it('openssl refuses the answer when the nonce is not the one it sent', () => {
    expect(openssl('ocsp', '-issuer', 'ca.pem', '-cert', 'leaf.pem', '-nonce', '-reqout', 'req.der').status).toBe(0);
    const request = parseOcspRequest(read('req.der'));
    const responses = [{ certId: request.certIds[0]!, status: { type: 'good' } as const, thisUpdate: new Date(now) }];
    write('resp.der', createOcspResponse({ issuer: ecCa, producedAt: new Date(now), nonce: randomBytes(16), responses }));
    const res = openssl('ocsp', '-respin', 'resp.der', '-reqin', 'req.der', '-no_nonce', '-issuer', 'ca.pem', '-CAfile', 'ca.pem');
    expect(res.output).toMatch(/nonce verify error/i);
    expect(res.output).not.toMatch(/^Response verify OK$/m);
  });

  it('openssl refuses a response signed by another key', () => {
    expect(openssl('ocsp', '-issuer', 'ca.pem', '-cert', 'leaf.pem', '-no_nonce', '-reqout', 'req.der').status).toBe(0);
    const request = parseOcspRequest(read('req.der'));
    const responses = [{ certId: request.certIds[0]!, status: { type: 'good' } as const, thisUpdate: new Date(now) }];
    write('resp.der', createOcspResponse({ issuer: other, producedAt: new Date(now), responses }));
    const res = openssl('ocsp', '-respin', 'resp.der', '-issuer', 'ca.pem', '-cert', 'leaf.pem', '-CAfile', 'ca.pem');
    expect(res.output).not.toMatch(/^Response verify OK$/m);
    expect(() => parseOcspResponse(read('resp.der'), { issuer: ecCa.certificate })).toThrow(expect.objectContaining({ code: 'ERR_PKI_BAD_SIGNATURE' }));
  });
});

describe('parseOcspResponse', () => {
  it("reads and verifies openssl's own responder's answer (byName, with certs)", () => {
    write('ca.key', exportPrivateKeyPem(ecCa.privateKey));
    // openssl's index.txt: status, expiry, revocation (time,reason), serial (upper-case hex), file, DN.
    const expiry = '491231235959Z';
    write('index.txt', `R\t${expiry}\t250101000000Z,superseded\t${leaf.serialNumberHex.toUpperCase()}\tunknown\t/CN=one.example.test\n`);
    expect(openssl('ocsp', '-issuer', 'ca.pem', '-cert', 'leaf.pem', '-nonce', '-reqout', 'req.der').status).toBe(0);
    const res = openssl(
      'ocsp',
      '-index',
      'index.txt',
      '-rsigner',
      'ca.pem',
      '-rkey',
      'ca.key',
      '-CA',
      'ca.pem',
      '-reqin',
      'req.der',
      '-respout',
      'resp.der',
      '-ndays',
      '1',
    );
    expect(res.status, res.output).toBe(0);
    const parsed = parseOcspResponse(read('resp.der'), { issuer: ecCa.certificate });
    expect(parsed.responseStatus).toBe('successful');
    expect(parsed.basic?.nonce).toEqual(parseOcspRequest(read('req.der')).nonce);
    expect(parsed.basic?.responses[0]).toMatchObject({
      certId: { serialNumberHex: leaf.serialNumberHex },
      status: { type: 'revoked', revokedAt: new Date('2025-01-01T00:00:00Z'), reason: 'superseded' },
    });
  });

  it('round-trips a response of three statuses, verified against the issuer', () => {
    const request = parseOcspRequest(
      createOcspRequest({ issuer: ecCa.certificate, serialNumbersHex: ['01', '02', '03'], hashAlgorithm: 'sha256', nonce: new Uint8Array(32).fill(7) }),
    );
    const responses: OcspSingleResponse[] = [
      { certId: request.certIds[0]!, status: { type: 'good' }, thisUpdate: new Date(now), nextUpdate: new Date(now + DAY) },
      { certId: request.certIds[1]!, status: { type: 'revoked', revokedAt: new Date(now - DAY), reason: 'cessationOfOperation' }, thisUpdate: new Date(now) },
      { certId: request.certIds[2]!, status: { type: 'unknown' }, thisUpdate: new Date(now) },
    ];
    const parsed = parseOcspResponse(createOcspResponse({ issuer: ecCa, producedAt: new Date(now), responses, nonce: request.nonce }), {
      issuer: ecCa.certificate,
    });
    expect(parsed.basic).toEqual({ responderKeyHash: expect.any(Uint8Array), producedAt: new Date(now), responses, nonce: request.nonce });
  });

  it.each(['malformedRequest', 'internalError', 'tryLater', 'sigRequired', 'unauthorized'] as const)('writes and reads the unsigned %s answer', (status) => {
    const der = ocspErrorResponse(status);
    expect(parseOcspResponse(der)).toEqual({ responseStatus: status, der });
    write('err.der', der);
    expect(openssl('ocsp', '-respin', 'err.der', '-resp_text').output).toMatch(/Responder Error|OCSP Response Status/);
  });
});

describe('refusals', () => {
  const certId = () => parseOcspRequest(createOcspRequest({ issuer: ecCa.certificate, serialNumbersHex: ['01'] })).certIds[0]!;
  const sha1CertId = () => seq(seq(oid('1.3.14.3.2.26')), octets(new Uint8Array(20)), octets(new Uint8Array(20)), int(5));

  it.each([
    { name: 'garbage', der: new Uint8Array([1, 2, 3]), code: 'ERR_PKI_DER' },
    { name: 'an empty requestList', der: seq(seq(seq())), code: 'ERR_PKI_DER' },
    { name: 'version v2', der: seq(seq(explicit(0, int(1)), seq(seq(sha1CertId())))), code: 'ERR_PKI_DER' },
    {
      name: 'a short SHA-1 hash',
      der: seq(seq(seq(seq(seq(seq(oid('1.3.14.3.2.26')), octets(new Uint8Array(19)), octets(new Uint8Array(20)), int(5)))))),
      code: 'ERR_PKI_DER',
    },
    {
      name: 'a critical unknown request extension',
      der: seq(seq(seq(seq(sha1CertId())), explicit(2, seq(seq(oid('1.2.3.4'), bool(true), octets(new Uint8Array([5, 0]))))))),
      code: 'ERR_PKI_DER',
    },
    {
      name: 'too many CertIDs',
      der: seq(seq(seq(...Array.from({ length: MAX_OCSP_REQUEST_CERT_IDS + 1 }, () => seq(sha1CertId()))))),
      code: 'ERR_PKI_INPUT_TOO_LARGE',
    },
    { name: 'more than 64 KiB', der: new Uint8Array(70_000), code: 'ERR_PKI_INPUT_TOO_LARGE' },
  ])('parseOcspRequest refuses $name with $code', ({ der, code }) => {
    expect(codeOf(() => parseOcspRequest(der))).toBe(code);
  });

  it('ignores a nonce it cannot echo (RFC 8954 §2.1 allows answering without one) and an unknown non-critical extension', () => {
    const long = seq(oid('1.3.6.1.5.5.7.48.1.2'), octets(octets(new Uint8Array(33))));
    const unknown = seq(oid('1.2.3.4'), octets(new Uint8Array([5, 0])));
    const request = parseOcspRequest(seq(seq(seq(seq(sha1CertId())), contextConstructed(2, [seq(long, unknown)]))));
    expect(request).toMatchObject({ nonceIgnored: true, signed: false });
    expect(request.nonce).toBeUndefined();
  });

  it('createOcspResponse refuses misuse', () => {
    const good = { certId: certId(), status: { type: 'good' } as const, thisUpdate: new Date(now) };
    expect(codeOf(() => createOcspResponse({ issuer: ecCa, producedAt: new Date(now), responses: [] }))).toBe('uncoded TypeError');
    expect(codeOf(() => createOcspResponse({ issuer: ecCa, producedAt: new Date(now), responses: [good], nonce: new Uint8Array(33) }))).toBe(
      'uncoded TypeError',
    );
    expect(codeOf(() => createOcspResponse({ issuer: ecCa, producedAt: new Date(now), responses: [{ ...good, nextUpdate: new Date(now - 1000) }] }))).toBe(
      'uncoded TypeError',
    );
    expect(
      codeOf(() =>
        createOcspResponse({ issuer: { certificate: ecCa.certificate, privateKey: other.privateKey }, producedAt: new Date(now), responses: [good] }),
      ),
    ).toBe('ERR_PKI_KEY_MISMATCH');
    expect(codeOf(() => createOcspRequest({ issuer: ecCa.certificate, serialNumbersHex: [] }))).toBe('uncoded TypeError');
    expect(codeOf(() => ocspErrorResponse('successful' as never))).toBe('uncoded TypeError');
  });
});
