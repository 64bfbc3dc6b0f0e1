/**
 * Test support: one small PKI made with the package's own encoders (a P-256 root, a leaf with
 * DNS, email and IP names, a request with a challengePassword, a CRL), built once per process,
 * as the valid starting points that the property tests damage. Not part of the package's build.
 */
import type { KeyObject } from 'node:crypto';
import { createSelfSignedCa, generateSerialNumber, type Issuer, issueCertificate, parseCertificate } from '../certificate.js';
import { createCrl } from '../crl.js';
import { createCsr, parseCsr } from '../csr.js';
import { generateKeyPair } from '../keys.js';

/** The valid encodings, DER and PEM, and the keys that made them. */
export interface PkiVectors {
  readonly issuer: Issuer;
  /** The key of the request and the leaf. */
  readonly leafKey: KeyObject;
  readonly caDer: Uint8Array;
  readonly caPem: string;
  readonly leafDer: Uint8Array;
  readonly leafPem: string;
  readonly csrDer: Uint8Array;
  readonly csrPem: string;
  readonly crlDer: Uint8Array;
  readonly crlPem: string;
}

const DAY = 24 * 3600_000;
let vectors: PkiVectors | undefined;

/** The vectors, made on first use. */
export function pkiVectors(): PkiVectors {
  if (vectors) return vectors;
  const now = Math.floor(Date.now() / 1000) * 1000;
  const caKey = generateKeyPair('p256').privateKey;
  const leafKey = generateKeyPair('p256').privateKey;
  const ca = createSelfSignedCa({
    subject: [
      { type: 'C', value: 'DE' },
      { type: 'O', value: 'Example' },
      { type: 'CN', value: 'Example Root' },
    ],
    privateKey: caKey,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3650 * DAY),
    serialNumber: generateSerialNumber(),
    pathLength: 0,
  });
  const issuer: Issuer = { certificate: parseCertificate(ca.der), privateKey: caKey };
  const csr = createCsr({
    privateKey: leafKey,
    subject: [
      { type: 'CN', value: 'host.example.test' },
      { type: 'emailAddress', value: 'ada@example.test' },
    ],
    subjectAltNames: { dns: ['host.example.test', '*.host.example.test'], email: ['ada@example.test'], ip: ['192.0.2.1', '2001:db8::1'] },
    challengePassword: 'pin 1234',
  });
  const request = parseCsr(csr.der);
  const leaf = issueCertificate({
    request,
    issuer,
    serialNumber: generateSerialNumber(),
    profile: {
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 90 * DAY),
      subjectAltNames: request.subjectAltNames,
      crlDistributionPoints: ['http://ca.example.test/root.crl'],
    },
  });
  const crl = createCrl({
    issuer,
    thisUpdate: new Date(now - DAY),
    nextUpdate: new Date(now + 7 * DAY),
    crlNumber: 42n,
    revoked: [
      { serialNumberHex: '0123456789abcdef', revokedAt: new Date(now - 2 * DAY), reason: 'keyCompromise' },
      { serialNumberHex: '00ff01', revokedAt: new Date(now - DAY) },
    ],
  });
  vectors = {
    issuer,
    leafKey,
    caDer: ca.der,
    caPem: ca.pem,
    leafDer: leaf.der,
    leafPem: leaf.pem,
    csrDer: csr.der,
    csrPem: csr.pem,
    crlDer: crl.der,
    crlPem: crl.pem,
  };
  return vectors;
}
