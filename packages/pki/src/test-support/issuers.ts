/**
 * Test support: a throwaway self-signed CA of any key type, and serial numbers as fast-check
 * draws them, for the CRL and OCSP tests. Not part of the package's build.
 */
import fc from 'fast-check';
import { createSelfSignedCa, generateSerialNumber, type Issuer, parseCertificate } from '../certificate.js';
import { generateKeyPair, type KeyType } from '../keys.js';

const DAY = 24 * 3600_000;

/**
 * A self-signed CA named `CN=cn`, valid from a day before `nowMs` for ten years, with its key.
 * @example
 * const ca = makeTestCa('p256', 'CRL EC Root', Date.now());
 */
export function makeTestCa(type: KeyType, cn: string, nowMs: number): Issuer {
  const { privateKey } = generateKeyPair(type);
  const { der } = createSelfSignedCa({
    subject: [{ type: 'CN', value: cn }],
    privateKey,
    notBefore: new Date(nowMs - DAY),
    notAfter: new Date(nowMs + 3650 * DAY),
    serialNumber: generateSerialNumber(),
  });
  return { certificate: parseCertificate(der), privateKey };
}

/** Positive serials of 1 to 20 octets in minimal form, as `Certificate.serialNumberHex` spells them. */
export const serialHexArbitrary: fc.Arbitrary<string> = fc.bigInt({ min: 1n, max: (1n << 159n) - 1n }).map((n) => {
  const hex = n.toString(16);
  const even = hex.length % 2 === 0 ? hex : `0${hex}`;
  return Number.parseInt(even.slice(0, 2), 16) >= 0x80 ? `00${even}` : even;
});
