/**
 * Properties of the OCSP codec (RFC 6960) over any input: parseOcspRequest and parseOcspResponse
 * (with and without the issuer to verify against) return a value or one of the package's coded
 * errors, never another exception, never a hang. A request that parses can be answered: its
 * CertIDs, signed into a response, parse back byte for byte. What createOcspRequest and
 * createOcspResponse write parses to what they were given.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOcspRequest, createOcspResponse, type OcspCertStatus, type OcspHashAlgorithm, parseOcspRequest, parseOcspResponse } from './ocsp.js';
import { type DerElement, readChildren, readElement } from './codec/der.js';
import { enumerated, explicit, octets, oid, seq } from './codec/der-writer.js';
import type { RevocationReason } from './crl.js';
import { derLikeBytes, isPkiError, mutatedDerTree, resignedMutations } from './test-support/der-fuzz.js';
import { checkProperty, mutatedBytes, outcome } from './test-support/property.js';
import { serialHexArbitrary } from './test-support/issuers.js';
import { pkiVectors } from './test-support/vectors.js';

const now = new Date(Math.floor(Date.now() / 1000) * 1000);
const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

const serial = serialHexArbitrary;
const hash = fc.constantFrom<OcspHashAlgorithm>('sha1', 'sha256', 'sha384', 'sha512');
const nonce = fc.option(fc.uint8Array({ minLength: 1, maxLength: 32 }), { nil: undefined });
const time = fc.date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('9990-01-01T00:00:00Z'), noInvalidDate: true }).map(wholeSeconds);
const reasons: RevocationReason[] = [
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'privilegeWithdrawn',
  'aACompromise',
  'unspecified',
];
const status: fc.Arbitrary<OcspCertStatus> = fc.oneof(
  fc.constant({ type: 'good' as const }),
  fc.constant({ type: 'unknown' as const }),
  fc
    .record({ type: fc.constant('revoked' as const), revokedAt: time, reason: fc.option(fc.constantFrom(...reasons), { nil: undefined }) })
    .map(({ reason, ...r }) => (reason === undefined ? r : { ...r, reason })),
);

function validRequests(): Uint8Array[] {
  const v = pkiVectors();
  return [
    createOcspRequest({ issuer: v.issuer.certificate, serialNumbersHex: ['01', '00ff', '7f'.repeat(20)], nonce: new Uint8Array(16).fill(9) }),
    createOcspRequest({ issuer: v.issuer.certificate, serialNumbersHex: ['0a0b0c'], hashAlgorithm: 'sha256' }),
  ];
}

function validResponse(): Uint8Array {
  const v = pkiVectors();
  const request = parseOcspRequest(validRequests()[0] as Uint8Array);
  const statuses: OcspCertStatus[] = [{ type: 'good' }, { type: 'revoked', revokedAt: now, reason: 'superseded' }, { type: 'unknown' }];
  return createOcspResponse({
    issuer: v.issuer,
    producedAt: now,
    nonce: request.nonce,
    responses: request.certIds.map((certId, i) => ({
      certId,
      status: statuses[i] as OcspCertStatus,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 3600_000),
    })),
  });
}

function checkRequest(input: Uint8Array): void {
  const result = outcome(() => parseOcspRequest(input), isPkiError);
  if (!result.ok) return;
  const request = result.value;
  expect(request.der).toEqual(input);
  expect(request.certIds.length).toBeGreaterThan(0);
  // Whatever parsed can be answered, and the answer repeats each CertID as sent.
  const der = createOcspResponse({
    issuer: pkiVectors().issuer,
    producedAt: now,
    nonce: request.nonce,
    responses: request.certIds.map((certId) => ({ certId, status: { type: 'unknown' }, thisUpdate: now })),
  });
  const back = parseOcspResponse(der, { issuer: pkiVectors().issuer.certificate });
  expect(back.basic?.responses.map((r) => r.certId.der)).toEqual(request.certIds.map((c) => c.der));
  expect(back.basic?.nonce).toEqual(request.nonce);
}

function checkResponse(input: Uint8Array): void {
  for (const options of [{}, { issuer: pkiVectors().issuer.certificate }]) {
    const result = outcome(() => parseOcspResponse(input, options), isPkiError);
    if (!result.ok) continue;
    expect(result.value.der).toEqual(input);
    const dates = (result.value.basic?.responses ?? []).flatMap((r) => [r.thisUpdate, ...(r.nextUpdate ? [r.nextUpdate] : [])]);
    expect(dates.filter((d) => Number.isNaN(d.getTime()))).toEqual([]);
  }
}

describe('parseOcspRequest', () => {
  it('damaged DER: a request that can be answered, or a coded error', () => {
    const valid = validRequests();
    checkProperty(fc.property(fc.oneof(derLikeBytes, mutatedBytes(valid), { arbitrary: mutatedDerTree(valid), weight: 2 }), checkRequest), { numRuns: 200 });
  });

  it('createOcspRequest output parses to the serials, hash and nonce given', () => {
    const v = pkiVectors();
    checkProperty(
      fc.property(fc.uniqueArray(serial, { minLength: 1, maxLength: 5 }), hash, nonce, (serials, hashAlgorithm, n) => {
        const request = parseOcspRequest(
          createOcspRequest({ issuer: v.issuer.certificate, serialNumbersHex: serials, hashAlgorithm, ...(n ? { nonce: n } : {}) }),
        );
        expect(request.certIds.map((c) => [c.hashAlgorithm, c.serialNumberHex])).toEqual(serials.map((s) => [hashAlgorithm, s]));
        expect(request.nonce).toEqual(n);
        expect(request.signed).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});

describe('parseOcspResponse', () => {
  it('damaged DER: a response, or a coded error', () => {
    const valid = [validResponse()];
    checkProperty(fc.property(fc.oneof(derLikeBytes, mutatedBytes(valid), { arbitrary: mutatedDerTree(valid), weight: 2 }), checkResponse), { numRuns: 200 });
  });

  it('a damaged response signed again by its issuer: past the signature, the structure is checked', () => {
    // resignedMutations re-signs the first child of the outer SEQUENCE; for an OCSPResponse that
    // is the status, so damage the BasicOCSPResponse and wrap it again.
    const basic = parseInnerBasic(validResponse());
    checkProperty(
      fc.property(resignedMutations([basic], pkiVectors().issuer.privateKey), (mutated) => checkResponse(wrapBasic(mutated))),
      { numRuns: 150 },
    );
  });

  it('createOcspResponse output parses, verified, to the statuses, times and nonce given', () => {
    const v = pkiVectors();
    checkProperty(
      fc.property(
        fc.array(fc.tuple(serial, status, time, fc.option(fc.integer({ min: 0, max: 10 ** 8 }), { nil: undefined })), { minLength: 1, maxLength: 4 }),
        time,
        nonce,
        (answers, producedAt, n) => {
          const request = parseOcspRequest(createOcspRequest({ issuer: v.issuer.certificate, serialNumbersHex: answers.map(([s]) => s) }));
          const responses = answers.map(([, st, thisUpdate, span], i) => ({
            certId: request.certIds[i]!,
            status: st,
            thisUpdate,
            ...(span === undefined ? {} : { nextUpdate: new Date(thisUpdate.getTime() + span * 1000) }),
          }));
          const parsed = parseOcspResponse(createOcspResponse({ issuer: v.issuer, producedAt, responses, ...(n ? { nonce: n } : {}) }), {
            issuer: v.issuer.certificate,
          });
          // unspecified is written as a reason code like any other in OCSP (RFC 6960 §4.2.1 RevokedInfo).
          expect(parsed.basic).toMatchObject({ producedAt, responses });
          expect(parsed.basic?.nonce).toEqual(n);
        },
      ),
      { numRuns: 100 },
    );
  });
});

/** The BasicOCSPResponse DER inside a successful OCSPResponse (responseBytes [0] { type, OCTET STRING }). */
function parseInnerBasic(der: Uint8Array): Uint8Array {
  const bytesEl = readChildren(der, readElement(der, 0))[1] as DerElement;
  const responseBytes = readChildren(der, bytesEl)[0] as DerElement;
  const octetString = readChildren(der, responseBytes)[1] as DerElement;
  return der.slice(octetString.contentStart, octetString.end);
}

/** A successful OCSPResponse around `basic`. */
function wrapBasic(basic: Uint8Array): Uint8Array {
  return seq(enumerated(0), explicit(0, seq(oid('1.3.6.1.5.5.7.48.1.1'), octets(basic))));
}
