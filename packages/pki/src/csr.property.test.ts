/**
 * Properties of the request parser (parseCsr, RFC 2986) over any input: a request, or one of
 * the package's coded errors, never another exception, never a hang. The round trip: a parsed
 * request keeps the DER it was given, and its PEM parses to the same view; createCsr's output
 * parses to the subject it was given and the names normalised.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCsr, parseCsr, requestedNames, type CertificateRequest } from './csr.js';
import { decodePem } from './codec/pem.js';
import { normalizeSubjectAltNames } from './san.js';
import { derLikeBytes, isPkiError, mutatedDerTree, resignedMutations } from './test-support/der-fuzz.js';
import { checkProperty, mutatedBytes, mutatedText, outcome } from './test-support/property.js';
import { pkiVectors } from './test-support/vectors.js';

/** The view without the KeyObject, which compares by identity. */
function view({ publicKey: _publicKey, ...rest }: CertificateRequest) {
  return rest;
}

/** Parses, and checks what a parsed request promises. */
function checkParsed(input: string | Uint8Array): void {
  const result = outcome(() => parseCsr(input), isPkiError);
  if (!result.ok) return;
  const request = result.value;
  expect(request.der).toEqual(typeof input === 'string' ? decodePem(input, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']) : input);
  expect(view(parseCsr(request.pem))).toEqual(view(request));
  expect(request.publicKey.export({ type: 'spki', format: 'der' })).toEqual(Buffer.from(request.publicKeyDer));
  // The names a CA approves: a set, or a coded refusal (an emailAddress that is no address).
  outcome(() => requestedNames(request), isPkiError);
}

describe('parseCsr', () => {
  it('damaged DER or PEM: a request that keeps its DER and re-parses from its PEM, or a coded error', () => {
    const v = pkiVectors();
    const input = fc.oneof(
      derLikeBytes,
      mutatedBytes([v.csrDer]),
      mutatedDerTree([v.csrDer]),
      mutatedText([v.csrPem], ['-', '\n', 'A', '=', ':', ' ', 'NEW ']),
    );
    checkProperty(fc.property(input, checkParsed));
  });

  it('a damaged request signed again with its key: past the signature, names and extensions are checked', () => {
    const v = pkiVectors();
    checkProperty(fc.property(resignedMutations([v.csrDer], v.leafKey), checkParsed), { numRuns: 150 });
  });

  it("createCsr's requests parse to the subject given and the names normalised", () => {
    const v = pkiVectors();
    const attribute = fc.record({
      type: fc.constantFrom('CN', 'O', 'OU', 'C', 'L', 'ST', 'serialNumber', 'DC', 'emailAddress'),
      value: fc.oneof(
        fc.string({ minLength: 1, maxLength: 70 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
        fc.constantFrom('DE', 'a@b.example'),
      ),
    });
    const names = fc.record({
      dns: fc.array(fc.oneof(fc.domain(), fc.string({ maxLength: 12 })), { maxLength: 3 }),
      email: fc.array(fc.oneof(fc.emailAddress(), fc.string({ maxLength: 12 })), { maxLength: 3 }),
      ip: fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended()), { maxLength: 3 }),
    });
    checkProperty(
      fc.property(fc.array(attribute, { maxLength: 4 }), names, (subject, subjectAltNames) => {
        const made = outcome(() => createCsr({ privateKey: v.leafKey, subject, subjectAltNames }), isPkiError);
        if (!made.ok) return;
        const request = parseCsr(made.value.der);
        expect(request.subject).toEqual(subject);
        expect(request.subjectAltNames).toEqual(normalizeSubjectAltNames(subjectAltNames));
      }),
    );
  });
});
