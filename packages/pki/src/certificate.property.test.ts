/**
 * Properties of the certificate parser (RFC 5280 §4.1) over any input: a certificate, or one of
 * the package's coded errors, never another exception, never a hang. The round trip: a parsed
 * certificate keeps the DER it was given and its PEM parses to the same view; what
 * createSelfSignedCa and issueCertificate write parses to what they were given.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Certificate, createSelfSignedCa, issueCertificate, parseCertificate, parseCertificateChain } from './certificate.js';
import { rawChild } from './codec/der.js';
import { decodePem, decodePemAll } from './codec/pem.js';
import { createCsr, parseCsr, requestedNames } from './csr.js';
import { countNames } from './san.js';
import { derLikeBytes, isPkiError, mutatedDerTree } from './test-support/der-fuzz.js';
import { checkProperty, mutatedBytes, mutatedText, outcome } from './test-support/property.js';
import { pkiVectors } from './test-support/vectors.js';

/** The view without the KeyObject, which compares by identity. */
function view({ publicKey: _publicKey, ...rest }: Certificate) {
  return rest;
}

function checkParsed(input: string | Uint8Array): void {
  const result = outcome(() => parseCertificate(input), isPkiError);
  if (!result.ok) return;
  const cert = result.value;
  expect(cert.der).toEqual(typeof input === 'string' ? decodePem(input, 'CERTIFICATE') : input);
  expect(view(parseCertificate(cert.pem))).toEqual(view(cert));
  expect(cert.tbsDer).toEqual(rawChild(cert.der, 0));
  expect(Number.isNaN(cert.notBefore.getTime()) || Number.isNaN(cert.notAfter.getTime())).toBe(false);
}

/** Whole seconds: certificates carry no milliseconds. */
const seconds = (min: Date, max: Date) => fc.date({ min, max, noInvalidDate: true }).map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000));

describe('parseCertificate', () => {
  it('damaged DER or PEM: a certificate that keeps its DER and re-parses from its PEM, or a coded error', () => {
    const v = pkiVectors();
    const input = fc.oneof(
      derLikeBytes,
      mutatedBytes([v.leafDer, v.caDer]),
      mutatedDerTree([v.leafDer, v.caDer]),
      { arbitrary: mutatedDerTree([v.leafDer, v.caDer]), weight: 2 },
      mutatedText([v.leafPem], ['-', '\n', 'A', '=', ':', ' ']),
    );
    checkProperty(fc.property(input, checkParsed));
  });

  it('a damaged chain: certificates that keep their blocks, or a coded error', () => {
    const v = pkiVectors();
    checkProperty(
      fc.property(mutatedText([`${v.leafPem}${v.caPem}`], ['-', '\n', 'A', ' ', 'CERTIFICATE']), (text) => {
        const result = outcome(() => parseCertificateChain(text), isPkiError);
        if (result.ok) expect(result.value.map((c) => c.der)).toEqual(decodePemAll(text, 'CERTIFICATE'));
      }),
    );
  });

  it('createSelfSignedCa output parses to the subject, validity, serial and path length given', () => {
    const v = pkiVectors();
    const subject = fc.array(
      fc.record({ type: fc.constantFrom('CN', 'O', 'OU', 'C', 'L'), value: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('US', 'DE')) }),
      { minLength: 1, maxLength: 3 },
    );
    // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 on.
    const validity = fc.tuple(seconds(new Date('1950-01-01T00:00:00Z'), new Date('9999-12-31T23:59:58Z')), fc.integer({ min: 1, max: 10 ** 9 }));
    const serial = fc.uint8Array({ minLength: 1, maxLength: 20 }).map((s) => {
      const out = Uint8Array.from(s);
      out[0] = (out[0] as number) & 0x7f || 1;
      return out;
    });
    checkProperty(
      fc.property(subject, validity, serial, fc.option(fc.nat(10), { nil: undefined }), (dn, [notBefore, span], serialNumber, pathLength) => {
        const notAfter = new Date(Math.min(notBefore.getTime() + span * 1000, Date.parse('9999-12-31T23:59:59Z')));
        const made = outcome(
          () =>
            createSelfSignedCa({
              subject: dn,
              privateKey: v.issuer.privateKey,
              notBefore,
              notAfter,
              serialNumber,
              ...(pathLength === undefined ? {} : { pathLength }),
            }),
          isPkiError,
        );
        if (!made.ok) return;
        const cert = parseCertificate(made.value.der);
        expect(cert).toMatchObject({ subject: dn, issuer: dn, notBefore, notAfter, isCa: true, serialNumberHex: Buffer.from(serialNumber).toString('hex') });
        expect(cert.pathLength).toBe(pathLength);
      }),
    );
  });

  it('issueCertificate output parses to the names and validity it was given', () => {
    const v = pkiVectors();
    const names = fc.record({
      dns: fc.array(fc.domain(), { maxLength: 3 }),
      email: fc.array(fc.emailAddress(), { maxLength: 2 }),
      ip: fc.array(fc.oneof(fc.ipV4(), fc.ipV6()), { maxLength: 2 }),
    });
    const caNotAfter = v.issuer.certificate.notAfter;
    checkProperty(
      fc.property(names, seconds(new Date('1990-01-01T00:00:00Z'), new Date(caNotAfter.getTime() - 1000)), (subjectAltNames, notBefore) => {
        const csr = outcome(() => parseCsr(createCsr({ privateKey: v.leafKey, subjectAltNames }).der), isPkiError);
        if (!csr.ok) return;
        const requested = requestedNames(csr.value);
        if (countNames(requested) === 0) return;
        const profile = { notBefore, notAfter: caNotAfter, subjectAltNames: requested };
        const issued = issueCertificate({ request: csr.value, issuer: v.issuer, serialNumber: Uint8Array.of(1), profile });
        const cert = parseCertificate(issued.der);
        expect(cert.subjectAltNames).toEqual(issued.subjectAltNames);
        expect(cert).toMatchObject({ notBefore, notAfter: caNotAfter, issuerDer: v.issuer.certificate.subjectDer, isCa: false });
      }),
      { numRuns: 60 },
    );
  });
});
