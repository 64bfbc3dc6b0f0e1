/**
 * Test support: the table of requests a CA must refuse (issue #2 §2), each with the pki error
 * code and the wire code of `PUT /api/csr/:client` it must produce. Shared by the pki parser
 * tests and the reference CA's HTTP tests so both check the same list.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { buildRawCsr, pemOf, SIG_OIDS } from './raw-csr.js';

/** One refusal case. */
export interface BadCsrCase {
  readonly name: string;
  /** The body as sent: PEM text or DER bytes. */
  readonly input: string | Uint8Array;
  /** Code of the PkiError parseCsr must throw. */
  readonly pkiCode: string;
  /** Wire code the CA must answer with. */
  readonly wireCode: string;
  /** HTTP status the CA must answer with. */
  readonly status: number;
}

let keys: { rsa2048: KeyObject; rsa1024: KeyObject; rsaE3: KeyObject; p256: KeyObject } | undefined;

function testKeys() {
  keys ??= {
    rsa2048: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    rsa1024: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey,
    rsaE3: generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).privateKey,
    p256: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
  };
  return keys;
}

/** A well-formed request for `host.example.test`, DER. */
export function goodCsrDer(privateKey?: KeyObject): Uint8Array {
  return buildRawCsr({
    privateKey: privateKey ?? testKeys().p256,
    subject: [{ type: 'CN', value: 'host.example.test' }],
    sans: { dns: ['host.example.test'] },
  });
}

/** Builds the table. Keys are generated once per process. */
export function badCsrCases(): BadCsrCase[] {
  const k = testKeys();
  const good = goodCsrDer();
  const cn = [{ type: 'CN', value: 'host.example.test' }];
  const withTrailing = new Uint8Array(good.length + 1);
  withTrailing.set(good);
  return [
    {
      name: 'malformed PEM (bad base64)',
      input: '-----BEGIN CERTIFICATE REQUEST-----\nMII!!!notbase64\n-----END CERTIFICATE REQUEST-----\n',
      pkiCode: 'ERR_PKI_PEM',
      wireCode: 'csr_malformed',
      status: 400,
    },
    {
      name: 'PEM without END line',
      input: pemOf(good).replace(/-----END[^\n]*\n$/, ''),
      pkiCode: 'ERR_PKI_PEM',
      wireCode: 'csr_malformed',
      status: 400,
    },
    {
      name: 'wrongly labelled PEM (CERTIFICATE)',
      input: pemOf(good, 'CERTIFICATE'),
      pkiCode: 'ERR_PKI_PEM',
      wireCode: 'csr_malformed',
      status: 400,
    },
    {
      name: 'DER garbage inside a valid PEM block',
      input: pemOf(new Uint8Array(Buffer.from('this is not DER at all, just text'))),
      pkiCode: 'ERR_PKI_DER',
      wireCode: 'csr_malformed',
      status: 400,
    },
    {
      name: 'trailing bytes after the request',
      input: pemOf(withTrailing),
      pkiCode: 'ERR_PKI_DER',
      wireCode: 'csr_malformed',
      status: 400,
    },
    {
      name: 'bad signature (one bit flipped)',
      input: pemOf(buildRawCsr({ privateKey: k.p256, subject: cn, corruptSignature: true })),
      pkiCode: 'ERR_PKI_BAD_SIGNATURE',
      wireCode: 'csr_bad_signature',
      status: 400,
    },
    {
      name: 'RSA key of 1024 bits',
      input: pemOf(buildRawCsr({ privateKey: k.rsa1024, subject: cn })),
      pkiCode: 'ERR_PKI_WEAK_KEY',
      wireCode: 'csr_weak_key',
      status: 400,
    },
    {
      name: 'RSA public exponent 3',
      input: pemOf(buildRawCsr({ privateKey: k.rsaE3, subject: cn })),
      pkiCode: 'ERR_PKI_WEAK_KEY',
      wireCode: 'csr_weak_key',
      status: 400,
    },
    {
      name: 'MD5 signature',
      input: pemOf(buildRawCsr({ privateKey: k.rsa2048, subject: cn, hash: 'md5', signatureOid: SIG_OIDS.md5WithRSA })),
      pkiCode: 'ERR_PKI_WEAK_SIGNATURE_ALGORITHM',
      wireCode: 'csr_weak_signature_algorithm',
      status: 400,
    },
    {
      name: 'SHA-1 signature (RSA)',
      input: pemOf(buildRawCsr({ privateKey: k.rsa2048, subject: cn, hash: 'sha1', signatureOid: SIG_OIDS.sha1WithRSA })),
      pkiCode: 'ERR_PKI_WEAK_SIGNATURE_ALGORITHM',
      wireCode: 'csr_weak_signature_algorithm',
      status: 400,
    },
    {
      name: 'SHA-1 signature (ECDSA)',
      input: pemOf(buildRawCsr({ privateKey: k.p256, subject: cn, hash: 'sha1', signatureOid: SIG_OIDS.ecdsaWithSHA1 })),
      pkiCode: 'ERR_PKI_WEAK_SIGNATURE_ALGORITHM',
      wireCode: 'csr_weak_signature_algorithm',
      status: 400,
    },
    {
      name: '101 subject alternative names',
      input: pemOf(
        buildRawCsr({
          privateKey: k.p256,
          subject: cn,
          sans: { dns: Array.from({ length: 101 }, (_, i) => `h${i}.example.test`) },
        }),
      ),
      pkiCode: 'ERR_PKI_TOO_MANY_SANS',
      wireCode: 'csr_too_many_names',
      status: 400,
    },
    {
      name: 'CN of 65 characters',
      input: pemOf(buildRawCsr({ privateKey: k.p256, subject: [{ type: 'CN', value: `${'a'.repeat(52)}.example.test` }] })),
      pkiCode: 'ERR_PKI_CN_TOO_LONG',
      wireCode: 'csr_cn_too_long',
      status: 400,
    },
    {
      name: 'request for a CA certificate (basicConstraints cA=TRUE)',
      input: pemOf(buildRawCsr({ privateKey: k.p256, subject: cn, requestCa: true })),
      pkiCode: 'ERR_PKI_CA_REQUESTED',
      wireCode: 'csr_ca_requested',
      status: 400,
    },
    {
      name: 'request over 64 KiB',
      input: pemOf(buildRawCsr({ privateKey: k.p256, subject: cn, paddingChars: 70_000 })),
      pkiCode: 'ERR_PKI_INPUT_TOO_LARGE',
      wireCode: 'csr_too_large',
      status: 413,
    },
    {
      name: 'unsupported name type (URI)',
      input: pemOf(buildRawCsr({ privateKey: k.p256, subject: cn, sans: { uri: ['https://example.test/'] } })),
      pkiCode: 'ERR_PKI_INVALID_NAME',
      wireCode: 'csr_invalid_name',
      status: 400,
    },
    {
      name: 'malformed DNS name',
      input: pemOf(buildRawCsr({ privateKey: k.p256, subject: cn, sans: { dns: ['bad_name..example'] } })),
      pkiCode: 'ERR_PKI_INVALID_NAME',
      wireCode: 'csr_invalid_name',
      status: 400,
    },
  ];
}
