/**
 * Properties of the CRL parser (RFC 5280 §5) over any input, with and without the issuer to
 * verify against: a CRL, or one of the package's coded errors, never another exception, never a
 * hang. The round trip: a parsed CRL keeps its DER; its entries, times (whole seconds) and number,
 * signed again by createCrl, parse back equal; what createCrl writes parses to what it was given.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePem } from './codec/pem.js';
import { createCrl, type Crl, parseCrl, type RevocationReason, type RevokedEntry } from './crl.js';
import { derLikeBytes, isPkiError, mutatedDerTree, resignedMutations } from './test-support/der-fuzz.js';
import { checkProperty, mutatedBytes, mutatedText, outcome } from './test-support/property.js';
import { serialHexArbitrary } from './test-support/issuers.js';
import { pkiVectors } from './test-support/vectors.js';

const DAY = 24 * 3600_000;
const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

/** What createCrl would write for `crl`, when createCrl can write it at all. */
function reissued(crl: Crl): Uint8Array | undefined {
  const thisUpdate = wholeSeconds(crl.thisUpdate);
  const nextUpdate = wholeSeconds(crl.nextUpdate ?? new Date(thisUpdate.getTime() + DAY));
  const serials = crl.revoked.map((e) => e.serialNumberHex);
  // createCrl's own rules for its caller: ordered times, serials of 1 to 20 octets, each once.
  if (thisUpdate >= nextUpdate || serials.some((s) => s.length > 40) || new Set(serials).size !== serials.length) return undefined;
  return createCrl({
    issuer: pkiVectors().issuer,
    thisUpdate,
    nextUpdate,
    crlNumber: crl.crlNumber ?? 0n,
    revoked: crl.revoked.map((e) => ({ ...e, revokedAt: wholeSeconds(e.revokedAt) })),
  }).der;
}

function checkParsed(input: string | Uint8Array): void {
  const v = pkiVectors();
  for (const options of [{}, { issuer: v.issuer.certificate }]) {
    const result = outcome(() => parseCrl(input, options), isPkiError);
    if (!result.ok) continue;
    const crl = result.value;
    expect(crl.der).toEqual(typeof input === 'string' ? decodePem(input, 'X509 CRL') : input);
    const dates = [crl.thisUpdate, ...(crl.nextUpdate ? [crl.nextUpdate] : []), ...crl.revoked.map((e) => e.revokedAt)];
    expect(dates.filter((d) => Number.isNaN(d.getTime()))).toEqual([]);
    const again = reissued(crl);
    if (again === undefined) continue;
    const back = parseCrl(again, { issuer: v.issuer.certificate });
    expect(back.revoked).toEqual(crl.revoked.map((e) => ({ ...e, revokedAt: wholeSeconds(e.revokedAt) })));
    expect(back.crlNumber).toBe(crl.crlNumber ?? 0n);
    expect(back.thisUpdate).toEqual(wholeSeconds(crl.thisUpdate));
  }
}

describe('parseCrl', () => {
  it('damaged DER or PEM: a CRL that keeps its DER and signs again to the same entries, or a coded error', () => {
    const v = pkiVectors();
    const input = fc.oneof(
      derLikeBytes,
      mutatedBytes([v.crlDer]),
      { arbitrary: mutatedDerTree([v.crlDer]), weight: 2 },
      mutatedText([v.crlPem], ['-', '\n', 'A', '=', ':', ' ']),
    );
    checkProperty(fc.property(input, checkParsed), { numRuns: 150 });
  });

  it('a damaged CRL signed again by its issuer: past the signature, entries and extensions are checked', () => {
    const v = pkiVectors();
    checkProperty(fc.property(resignedMutations([v.crlDer], v.issuer.privateKey), checkParsed), { numRuns: 150 });
  });

  it('createCrl output parses, verified, to the entries, times and number given', () => {
    const v = pkiVectors();
    const reasons: RevocationReason[] = [
      'keyCompromise',
      'cACompromise',
      'affiliationChanged',
      'superseded',
      'cessationOfOperation',
      'certificateHold',
      'privilegeWithdrawn',
      'aACompromise',
    ];
    const time = fc.date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('9990-01-01T00:00:00Z'), noInvalidDate: true }).map(wholeSeconds);
    const serial = serialHexArbitrary;
    const entries = fc
      .uniqueArray(fc.record({ serialNumberHex: serial, revokedAt: time, reason: fc.option(fc.constantFrom(...reasons), { nil: undefined }) }), {
        selector: (e) => e.serialNumberHex,
        maxLength: 4,
      })
      .map((list) => list.map(({ reason, ...e }): RevokedEntry => (reason === undefined ? e : { ...e, reason })));
    checkProperty(
      fc.property(
        entries,
        time,
        fc.integer({ min: 1, max: 10 ** 8 }),
        fc.bigInt({ min: 0n, max: (1n << 159n) - 1n }),
        (revoked, thisUpdate, span, crlNumber) => {
          const nextUpdate = new Date(thisUpdate.getTime() + span * 1000);
          const { der } = createCrl({ issuer: v.issuer, thisUpdate, nextUpdate, crlNumber, revoked });
          expect(parseCrl(der, { issuer: v.issuer.certificate })).toMatchObject({ thisUpdate, nextUpdate, crlNumber, revoked });
        },
      ),
      { numRuns: 100 },
    );
  });
});
