import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CertificationRequest, type CertificationRequestInfo } from '@peculiar/asn1-csr';
import { ChallengePassword, ExtensionRequest, id_pkcs9_at_challengePassword, id_pkcs9_at_extensionRequest } from '@peculiar/asn1-pkcs9';
import { AsnConvert, AsnParser, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  Attribute,
  BasicConstraints,
  Extension,
  GeneralName,
  GeneralNames,
  id_ce_basicConstraints,
  id_ce_subjectAltName,
  SubjectAlternativeName,
} from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePem } from './codec/pem.js';
import { type CertificateRequest, type CreateCsrOptions, createCsr, type EncodedCsr, parseCsr, requestedNames } from './csr.js';
import { exportPrivateKeyPem, generateKeyPair, type KeyType, publicKeyDer } from './keys.js';
import type { DistinguishedName } from './name.js';
import type { SubjectAltNames } from './san.js';
import { badCsrCases } from './test-support/bad-csrs.js';
import { codeOf } from './test-support/expect-code.js';
import { buildRawCsr, pemOf, SIG_OIDS } from './test-support/raw-csr.js';

/** A SCEP-style PIN: distinctive, so a test can find it where it belongs. */
const CHALLENGE = 'PIN 4711-abc';
const SUBJECT: DistinguishedName = [
  { type: 'C', value: 'US' },
  { type: 'O', value: 'Example, Inc.' },
  { type: 'CN', value: 'host.example.test' },
  { type: 'emailAddress', value: 'ops@example.test' },
];
const SANS = {
  dns: ['host.example.test', 'WWW.example.test'],
  email: ['ops@Example.TEST'],
  ip: ['192.0.2.10', '2001:DB8:0:0:0:0:0:10'],
};
const NORMALISED_SANS: SubjectAltNames = {
  dns: ['host.example.test', 'www.example.test'],
  email: ['ops@example.test'],
  ip: ['192.0.2.10', '2001:db8::10'],
};

type Kind = Extract<KeyType, 'rsa2048' | 'p256' | 'p384'>;
const KINDS: readonly { kind: Kind; signature: string; keyText: string; key: object }[] = [
  {
    kind: 'rsa2048',
    signature: 'sha256WithRSAEncryption',
    keyText: 'Public-Key: (2048 bit)',
    key: { algorithm: 'rsa', bits: 2048, publicExponent: 65537n },
  },
  {
    kind: 'p256',
    signature: 'ecdsa-with-SHA256',
    keyText: 'NIST CURVE: P-256',
    key: { algorithm: 'ec', curve: 'P-256' },
  },
  {
    kind: 'p384',
    signature: 'ecdsa-with-SHA384',
    keyText: 'NIST CURVE: P-384',
    key: { algorithm: 'ec', curve: 'P-384' },
  },
];

let dir = '';
const keys = new Map<Kind, KeyObject>();
const made = new Map<Kind, { csr: EncodedCsr; openssl: SpawnSyncReturns<string> }>();
/** Requests written by the openssl CLI, PEM by name. */
const cliCsrs = new Map<string, string>();

function get<K, V>(map: Map<K, V>, key: K): V {
  const found = map.get(key);
  if (found === undefined) throw new Error(`no fixture ${String(key)}`);
  return found;
}

/** Runs the openssl CLI in the temp dir. */
function openssl(args: string[], input?: string | Uint8Array): SpawnSyncReturns<string> {
  return spawnSync('openssl', args, { cwd: dir, input, encoding: 'utf8' });
}

/** The same as {@link openssl} for binary output. */
function opensslBytes(args: string[], input?: string | Uint8Array): Buffer {
  const run = spawnSync('openssl', args, { cwd: dir, input });
  if (run.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${run.stderr.toString()}`);
  return run.stdout;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pki-csr-'));
  for (const { kind } of KINDS) keys.set(kind, generateKeyPair(kind).privateKey);
  for (const { kind } of KINDS) {
    const csr = createCsr({
      privateKey: get(keys, kind),
      subject: SUBJECT,
      subjectAltNames: SANS,
      challengePassword: CHALLENGE,
    });
    fs.writeFileSync(path.join(dir, `${kind}.csr`), csr.pem);
    made.set(kind, { csr, openssl: openssl(['req', '-in', `${kind}.csr`, '-verify', '-text', '-noout']) });
  }

  // A request made entirely by the openssl CLI, the way a user would make one by hand.
  const cli = openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-noenc',
    '-keyout',
    'cli.key',
    '-subj',
    '/C=US/O=Example/CN=cli.example.test/emailAddress=ops@example.test',
    '-addext',
    'subjectAltName=DNS:cli.example.test,DNS:WWW.cli.example.test,IP:192.0.2.7,IP:2001:db8::7,email:ops@example.test',
    '-out',
    'cli.csr',
  ]);
  if (cli.status !== 0) throw new Error(cli.stderr);
  cliCsrs.set('ec', fs.readFileSync(path.join(dir, 'cli.csr'), 'utf8'));

  // A SCEP-style request with a challengePassword: `-addext` cannot add attributes, a config can.
  fs.writeFileSync(path.join(dir, 'rsa.key'), exportPrivateKeyPem(get(keys, 'rsa2048')), { mode: 0o600 });
  fs.writeFileSync(
    path.join(dir, 'scep.cnf'),
    [
      '[req]',
      'prompt = no',
      'distinguished_name = dn',
      'attributes = attrs',
      'req_extensions = ext',
      '[dn]',
      'CN = scep.example.test',
      '[attrs]',
      `challengePassword = ${CHALLENGE}`,
      '[ext]',
      'subjectAltName = DNS:scep.example.test',
      '',
    ].join('\n'),
  );
  const scep = openssl(['req', '-new', '-key', 'rsa.key', '-config', 'scep.cnf', '-out', 'scep.csr']);
  if (scep.status !== 0) throw new Error(scep.stderr);
  cliCsrs.set('scep', fs.readFileSync(path.join(dir, 'scep.csr'), 'utf8'));
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('createCsr, checked by the openssl CLI', () => {
  it.each(KINDS.map((k) => ({ name: k.kind, input: k.kind, want: k })))('$name: openssl verifies the self-signature', ({ input }) => {
    const { openssl: run } = get(made, input);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('self-signature verify OK');
  });

  it.each(KINDS.map((k) => ({ name: k.kind, input: k.kind, want: k })))(
    '$name: openssl shows the subject, key, SANs, challengePassword and algorithm',
    ({ input, want }) => {
      const text = get(made, input).openssl.stdout;
      expect(text).toContain('Subject: C = US, O = "Example, Inc.", CN = host.example.test, emailAddress = ops@example.test');
      expect(text).toContain(want.keyText);
      expect(text).toMatch(/challengePassword\s*:PIN 4711-abc/);
      expect(text).toContain(
        'DNS:host.example.test, DNS:www.example.test, email:ops@example.test, ' + 'IP Address:192.0.2.10, IP Address:2001:DB8:0:0:0:0:0:10',
      );
      expect(text).toContain(`Signature Algorithm: ${want.signature}`);
    },
  );

  it('writes a challengePassword outside PrintableString as UTF8String that openssl reads', () => {
    const secret = 'pin_4711!';
    const csr = createCsr({ privateKey: get(keys, 'p256'), challengePassword: secret });
    const run = openssl(['req', '-verify', '-text', '-noout'], csr.pem);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/challengePassword\s*:pin_4711!/);
    expect(parseCsr(csr.der).challengePassword).toBe(secret);
  });

  it('writes no attributes for a request with only a key', () => {
    const csr = createCsr({ privateKey: get(keys, 'p256') });
    const parsed = parseCsr(csr.pem);
    expect(parsed.subject).toEqual([]);
    expect(parsed.subjectAltNames).toEqual({ dns: [], email: [], ip: [] });
    expect(parsed.requestedExtensions).toEqual([]);
    expect('challengePassword' in parsed).toBe(false);
    expect(openssl(['req', '-verify', '-noout'], csr.pem).status).toBe(0);
  });

  it.each([
    {
      name: 'SHA-512 for a P-256 key',
      input: { kind: 'p256' as const, hash: 'sha512' as const },
      want: 'ecdsa-with-SHA512',
    },
    {
      name: 'SHA-384 for an RSA key',
      input: { kind: 'rsa2048' as const, hash: 'sha384' as const },
      want: 'sha384WithRSAEncryption',
    },
  ])('signs with the hash asked for: $name', ({ input, want }) => {
    const csr = createCsr({ privateKey: get(keys, input.kind), hash: input.hash });
    expect(parseCsr(csr.der).signatureAlgorithm.name).toBe(want);
    const run = openssl(['req', '-verify', '-text', '-noout'], csr.pem);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Signature Algorithm: ${want}`);
  });
});

describe('parseCsr of what createCsr wrote', () => {
  const views = KINDS.flatMap((k) => [
    { name: `${k.kind} from PEM`, input: { kind: k.kind, form: 'pem' as const }, want: k },
    { name: `${k.kind} from DER`, input: { kind: k.kind, form: 'der' as const }, want: k },
  ]);
  it.each(views)('$name: returns the typed view', ({ input, want }) => {
    const { csr } = get(made, input.kind);
    const parsed: CertificateRequest = parseCsr(csr[input.form]);
    expect(parsed.subject).toEqual(SUBJECT);
    expect(parsed.subjectAltNames).toEqual(NORMALISED_SANS);
    expect(parsed.key).toEqual(want.key);
    expect(parsed.signatureAlgorithm.name).toBe(want.signature);
    expect(parsed.challengePassword).toBe(CHALLENGE);
    expect(parsed.requestedExtensions).toEqual([id_ce_subjectAltName]);
    expect(parsed.der).toEqual(csr.der);
    expect(parsed.pem).toBe(csr.pem);
    expect(parsed.fingerprintSha256).toBe(createHash('sha256').update(csr.der).digest('hex'));
    expect(parsed.publicKeyDer).toEqual(publicKeyDer(get(keys, input.kind)));
    expect(parsed.publicKey.equals(parsed.publicKey)).toBe(true);
    expect(Buffer.from(publicKeyDer(parsed.publicKey))).toEqual(Buffer.from(parsed.publicKeyDer));
  });

  it('accepts DER in a Node Buffer', () => {
    const { csr } = get(made, 'p256');
    expect(parseCsr(Buffer.from(csr.der)).subject).toEqual(SUBJECT);
  });

  it('refuses input that is neither text nor bytes with a TypeError', () => {
    expect(() => parseCsr(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('parseCsr of what the openssl CLI wrote', () => {
  it('reads an EC request with subject and SANs made by `openssl req -new -addext`', () => {
    const pem = get(cliCsrs, 'ec');
    const parsed = parseCsr(pem);
    expect(parsed.subject).toEqual([
      { type: 'C', value: 'US' },
      { type: 'O', value: 'Example' },
      { type: 'CN', value: 'cli.example.test' },
      { type: 'emailAddress', value: 'ops@example.test' },
    ]);
    expect(parsed.subjectAltNames).toEqual({
      dns: ['cli.example.test', 'www.cli.example.test'],
      email: ['ops@example.test'],
      ip: ['192.0.2.7', '2001:db8::7'],
    });
    expect(parsed.key).toEqual({ algorithm: 'ec', curve: 'P-256' });
    expect(parsed.signatureAlgorithm.name).toBe('ecdsa-with-SHA256');
    expect('challengePassword' in parsed).toBe(false);
  });

  it('decodes to the DER openssl writes, and fingerprints it as openssl does', () => {
    const pem = get(cliCsrs, 'ec');
    const der = opensslBytes(['req', '-outform', 'DER'], pem);
    const parsed = parseCsr(pem);
    expect(Buffer.from(parsed.der)).toEqual(der);
    const digest = openssl(['dgst', '-sha256', '-r'], der).stdout.split(' ')[0];
    expect(parsed.fingerprintSha256).toBe(digest);
  });

  it('reads the NEW CERTIFICATE REQUEST label of older tools', () => {
    const pem = get(cliCsrs, 'ec').replace(/CERTIFICATE REQUEST/g, 'NEW CERTIFICATE REQUEST');
    expect(pem).toContain('-----BEGIN NEW CERTIFICATE REQUEST-----');
    const parsed = parseCsr(pem);
    expect(parsed.subjectAltNames.dns).toEqual(['cli.example.test', 'www.cli.example.test']);
    expect(parsed.pem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n/);
  });

  it('reads the challengePassword of an RSA request made from an openssl config', () => {
    const parsed = parseCsr(get(cliCsrs, 'scep'));
    expect(parsed.challengePassword).toBe(CHALLENGE);
    expect(parsed.subject).toEqual([{ type: 'CN', value: 'scep.example.test' }]);
    expect(parsed.subjectAltNames.dns).toEqual(['scep.example.test']);
    expect(parsed.key).toEqual({ algorithm: 'rsa', bits: 2048, publicExponent: 65537n });
    expect(parsed.signatureAlgorithm.name).toBe('sha256WithRSAEncryption');
  });
});

describe('requestedNames', () => {
  const none: SubjectAltNames = { dns: [], email: [], ip: [] };
  it.each([
    {
      name: 'a DNS-name CN added to the SANs',
      input: {
        subject: [{ type: 'CN', value: 'Host.Example.test' }],
        subjectAltNames: { ...none, dns: ['www.example.test'] },
      },
      want: { ...none, dns: ['www.example.test', 'host.example.test'] },
    },
    {
      name: 'a CN already among the SANs, once',
      input: {
        subject: [{ type: 'CN', value: 'HOST.example.test' }],
        subjectAltNames: { ...none, dns: ['host.example.test'] },
      },
      want: { ...none, dns: ['host.example.test'] },
    },
    {
      name: 'an IPv4 CN as an IP address',
      input: { subject: [{ type: 'CN', value: '192.0.2.1' }], subjectAltNames: none },
      want: { ...none, ip: ['192.0.2.1'] },
    },
    {
      name: 'an IPv6 CN as a normalised IP address',
      input: { subject: [{ type: 'CN', value: '2001:DB8::1' }], subjectAltNames: none },
      want: { ...none, ip: ['2001:db8::1'] },
    },
    {
      name: 'a CN that is no name (a person) left out',
      input: { subject: [{ type: 'CN', value: 'Alice Example' }], subjectAltNames: none },
      want: none,
    },
    {
      name: 'a wildcard CN as a DNS name',
      input: { subject: [{ type: 'CN', value: '*.example.test' }], subjectAltNames: none },
      want: { ...none, dns: ['*.example.test'] },
    },
    {
      name: 'the subject emailAddress added, domain lower-cased and deduplicated',
      input: {
        subject: [
          { type: 'CN', value: 'Alice Example' },
          { type: 'emailAddress', value: 'alice@EXAMPLE.test' },
        ],
        subjectAltNames: { ...none, email: ['alice@example.test'] },
      },
      want: { ...none, email: ['alice@example.test'] },
    },
    {
      name: 'every emailAddress of the subject',
      input: {
        subject: [
          { type: 'emailAddress', value: 'a@example.test' },
          { type: 'emailAddress', value: 'b@example.test' },
        ],
        subjectAltNames: none,
      },
      want: { ...none, email: ['a@example.test', 'b@example.test'] },
    },
  ])('returns $name', ({ input, want }) => {
    expect(requestedNames(input)).toEqual(want);
  });

  it('counts the CN against the limit of 100 names', () => {
    const dns = Array.from({ length: 100 }, (_, i) => `h${i}.example.test`);
    const request = { subject: [{ type: 'CN', value: 'extra.example.test' }], subjectAltNames: { ...none, dns } };
    expect(codeOf(() => requestedNames(request))).toBe('ERR_PKI_TOO_MANY_SANS');
    expect(requestedNames({ ...request, subject: [{ type: 'CN', value: 'h0.example.test' }] }).dns).toHaveLength(100);
  });

  it('returns the names of a parsed request', () => {
    expect(requestedNames(parseCsr(get(made, 'p256').csr.der))).toEqual(NORMALISED_SANS);
  });
});

describe('createCsr refusals', () => {
  const weak = {
    rsa1024: () => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey,
    p521: () => generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey,
    ed25519: () => generateKeyPairSync('ed25519').privateKey,
  };
  const p256 = () => get(keys, 'p256');
  const cases: { name: string; input: () => CreateCsrOptions; want: string }[] = [
    { name: 'an RSA 1024 key', input: () => ({ privateKey: weak.rsa1024() }), want: 'ERR_PKI_WEAK_KEY' },
    { name: 'a P-521 key', input: () => ({ privateKey: weak.p521() }), want: 'ERR_PKI_WEAK_KEY' },
    { name: 'an Ed25519 key', input: () => ({ privateKey: weak.ed25519() }), want: 'ERR_PKI_WEAK_KEY' },
    {
      name: 'a CN of 65 characters',
      input: () => ({ privateKey: p256(), subject: [{ type: 'CN', value: 'a'.repeat(65) }] }),
      want: 'ERR_PKI_CN_TOO_LONG',
    },
    {
      name: 'C = usa',
      input: () => ({ privateKey: p256(), subject: [{ type: 'C', value: 'usa' }] }),
      want: 'ERR_PKI_INVALID_NAME',
    },
    {
      name: 'an unknown subject attribute',
      input: () => ({ privateKey: p256(), subject: [{ type: 'XX', value: 'x' }] }),
      want: 'ERR_PKI_INVALID_NAME',
    },
    {
      name: 'a malformed DNS name',
      input: () => ({ privateKey: p256(), subjectAltNames: { dns: ['bad_name.example.test'] } }),
      want: 'ERR_PKI_INVALID_NAME',
    },
    {
      name: 'a malformed address',
      input: () => ({ privateKey: p256(), subjectAltNames: { email: ['a@@example.test'] } }),
      want: 'ERR_PKI_INVALID_NAME',
    },
    {
      name: 'a malformed IP address',
      input: () => ({ privateKey: p256(), subjectAltNames: { ip: ['192.0.2.256'] } }),
      want: 'ERR_PKI_INVALID_NAME',
    },
    {
      name: '101 names',
      input: () => ({
        privateKey: p256(),
        subjectAltNames: { dns: Array.from({ length: 101 }, (_, i) => `h${i}.example.test`) },
      }),
      want: 'ERR_PKI_TOO_MANY_SANS',
    },
    {
      name: 'a public key (caller misuse)',
      input: () => ({ privateKey: generateKeyPair('p256').publicKey }),
      want: 'uncoded TypeError',
    },
    {
      name: 'an empty challengePassword',
      input: () => ({ privateKey: p256(), challengePassword: '' }),
      want: 'uncoded TypeError',
    },
  ];
  it.each(cases)('refuses $name with $want', ({ input, want }) => {
    expect(codeOf(() => createCsr(input()))).toBe(want);
  });
});

describe('parseCsr refusals: the table a CA must refuse', () => {
  it.each(badCsrCases())('refuses $name with $pkiCode', ({ input, pkiCode }) => {
    expect(codeOf(() => parseCsr(input))).toBe(pkiCode);
  });
});

/**
 * Re-signs a request after `mutate` changed its info, so that only the change is wrong.
 * AsnConvert re-encodes the parsed structure; the signature covers the new encoding.
 */
function resign(der: Uint8Array, key: KeyObject, mutate: (info: CertificationRequestInfo) => void): Uint8Array {
  const csr = AsnParser.parse(der, CertificationRequest);
  mutate(csr.certificationRequestInfo);
  const tbs = Buffer.from(AsnConvert.serialize(csr.certificationRequestInfo));
  csr.signature = new Uint8Array(sign('sha256', tbs, key)).buffer;
  return new Uint8Array(AsnConvert.serialize(csr));
}

/** Replaces the signature algorithm identifier, leaving the signed part alone. */
function withAlgorithm(der: Uint8Array, algorithm: AlgorithmIdentifier): Uint8Array {
  const csr = AsnParser.parse(der, CertificationRequest);
  csr.signatureAlgorithm = algorithm;
  return new Uint8Array(AsnConvert.serialize(csr));
}

const extensionRequest = (...extensions: Extension[]) =>
  new Attribute({
    type: id_pkcs9_at_extensionRequest,
    values: [AsnConvert.serialize(new ExtensionRequest(extensions))],
  });
const sanExtension = (dNSName: string) =>
  new Extension({
    extnID: id_ce_subjectAltName,
    extnValue: new OctetString(AsnConvert.serialize(new SubjectAlternativeName(new GeneralNames([new GeneralName({ dNSName })])))),
  });
const challenge = (value: string) => AsnConvert.serialize(new ChallengePassword({ printableString: value }));

describe('parseCsr refusals: algorithms and structure', () => {
  let rsa: KeyObject;
  let ec: KeyObject;
  const cn = [{ type: 'CN', value: 'host.example.test' }];
  beforeAll(() => {
    rsa = get(keys, 'rsa2048');
    ec = get(keys, 'p256');
  });

  const cases: { name: string; input: () => Uint8Array | string; want: string }[] = [
    {
      name: 'an ECDSA algorithm over an RSA key',
      input: () => withAlgorithm(buildRawCsr({ privateKey: rsa, subject: cn }), new AlgorithmIdentifier({ algorithm: SIG_OIDS.ecdsaWithSHA256 })),
      want: 'ERR_PKI_BAD_SIGNATURE',
    },
    {
      name: 'an RSA algorithm over an EC key',
      input: () => buildRawCsr({ privateKey: ec, subject: cn, signatureOid: SIG_OIDS.sha256WithRSA }),
      want: 'ERR_PKI_BAD_SIGNATURE',
    },
    {
      name: 'a signature made with SHA-384 under an OID that says SHA-256',
      input: () => {
        // buildRawCsr's hash option only offers md5, sha1 and sha256, so sign by hand.
        const base = buildRawCsr({ privateKey: ec, subject: cn });
        const csr = AsnParser.parse(base, CertificationRequest);
        const tbs = Buffer.from(AsnConvert.serialize(csr.certificationRequestInfo));
        csr.signature = new Uint8Array(sign('sha384', tbs, ec)).buffer;
        return new Uint8Array(AsnConvert.serialize(csr));
      },
      want: 'ERR_PKI_BAD_SIGNATURE',
    },
    {
      name: 'RSA-PSS (1.2.840.113549.1.1.10)',
      input: () => buildRawCsr({ privateKey: rsa, subject: cn, signatureOid: '1.2.840.113549.1.1.10' }),
      want: 'ERR_PKI_UNSUPPORTED_ALGORITHM',
    },
    {
      name: 'an unknown algorithm OID',
      input: () => buildRawCsr({ privateKey: ec, subject: cn, signatureOid: '1.2.3.4' }),
      want: 'ERR_PKI_UNSUPPORTED_ALGORITHM',
    },
    {
      name: 'an RSA algorithm with parameters other than NULL',
      input: () =>
        withAlgorithm(
          buildRawCsr({ privateKey: rsa, subject: cn }),
          new AlgorithmIdentifier({
            algorithm: SIG_OIDS.sha256WithRSA,
            parameters: new Uint8Array([0x04, 0x00]).buffer,
          }),
        ),
      want: 'ERR_PKI_UNSUPPORTED_ALGORITHM',
    },
    {
      name: 'a P-521 key',
      input: () => buildRawCsr({ privateKey: generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey, subject: cn }),
      want: 'ERR_PKI_WEAK_KEY',
    },
    {
      name: 'version 2 (only v1 = 0 exists)',
      input: () =>
        resign(buildRawCsr({ privateKey: ec, subject: cn }), ec, (info) => {
          info.version = 1;
        }),
      want: 'ERR_PKI_DER',
    },
    {
      name: 'a duplicate extensionRequest attribute',
      input: () =>
        resign(buildRawCsr({ privateKey: ec, subject: cn }), ec, (info) => {
          info.attributes.push(extensionRequest(sanExtension('a.example.test')));
          info.attributes.push(extensionRequest(sanExtension('b.example.test')));
        }),
      want: 'ERR_PKI_DER',
    },
    {
      name: 'an extensionRequest with two values',
      input: () =>
        resign(buildRawCsr({ privateKey: ec, subject: cn }), ec, (info) => {
          const value = AsnConvert.serialize(new ExtensionRequest([sanExtension('a.example.test')]));
          info.attributes.push(new Attribute({ type: id_pkcs9_at_extensionRequest, values: [value, value] }));
        }),
      want: 'ERR_PKI_DER',
    },
    {
      name: 'subjectAltName requested twice in one extensionRequest',
      input: () =>
        resign(buildRawCsr({ privateKey: ec, subject: cn }), ec, (info) => {
          info.attributes.push(extensionRequest(sanExtension('a.example.test'), sanExtension('evil.example.test')));
        }),
      want: 'ERR_PKI_DER',
    },
    {
      name: 'a challengePassword with two values',
      input: () =>
        resign(buildRawCsr({ privateKey: ec, subject: cn }), ec, (info) => {
          const values = [challenge('a'), challenge('b')];
          info.attributes.push(new Attribute({ type: id_pkcs9_at_challengePassword, values }));
        }),
      want: 'ERR_PKI_DER',
    },
    {
      name: 'a challengePassword that is not a DirectoryString',
      input: () =>
        resign(buildRawCsr({ privateKey: ec, subject: cn }), ec, (info) => {
          info.attributes.push(new Attribute({ type: id_pkcs9_at_challengePassword, values: [new Uint8Array([0x02, 0x01, 0x05]).buffer] }));
        }),
      want: 'ERR_PKI_DER',
    },
    {
      name: 'a signed change (the signature covers the received bytes)',
      input: () => {
        const good = buildRawCsr({ privateKey: ec, subject: [{ type: 'CN', value: 'aaaa.example.test' }] });
        const tampered = Buffer.from(good);
        const at = tampered.indexOf('aaaa.example.test');
        tampered[at] = 'b'.charCodeAt(0);
        return new Uint8Array(tampered);
      },
      want: 'ERR_PKI_BAD_SIGNATURE',
    },
    {
      name: 'a subject C of three letters',
      input: () => buildRawCsr({ privateKey: ec, subject: [{ type: 'C', value: 'usa' }] }),
      want: 'ERR_PKI_INVALID_NAME',
    },
    {
      name: 'a control character in the subject CN',
      input: () => buildRawCsr({ privateKey: ec, subject: [{ type: 'CN', value: 'good.test\u0000evil.test' }] }),
      want: 'ERR_PKI_INVALID_NAME',
    },
    {
      name: 'DER over 64 KiB (not PEM)',
      input: () => buildRawCsr({ privateKey: ec, subject: cn, paddingChars: 70_000 }),
      want: 'ERR_PKI_INPUT_TOO_LARGE',
    },
    {
      name: 'a PEM holding two requests',
      input: () => pemOf(buildRawCsr({ privateKey: ec, subject: cn })).repeat(2),
      want: 'ERR_PKI_PEM',
    },
  ];
  it.each(cases)('refuses $name with $want', ({ input, want }) => {
    expect(codeOf(() => parseCsr(input()))).toBe(want);
  });

  // Regression: AsnParser maps NULL parameters to `null`, which signatureAlgorithmFromIdentifier
  // treated like absent ones, so the RFC 5758 §3.2 rule was not enforced for NULL.
  it('refuses an ECDSA algorithm with NULL parameters (RFC 5758 §3.2: absent)', () => {
    const der = withAlgorithm(
      buildRawCsr({ privateKey: ec, subject: cn }),
      new AlgorithmIdentifier({ algorithm: SIG_OIDS.ecdsaWithSHA256, parameters: new Uint8Array([0x05, 0x00]).buffer }),
    );
    expect(codeOf(() => parseCsr(der))).toBe('ERR_PKI_UNSUPPORTED_ALGORITHM');
  });

  it('accepts the unchanged request each refusal above starts from', () => {
    const parsed = parseCsr(resign(buildRawCsr({ privateKey: ec, subject: cn }), ec, () => {}));
    expect(parsed.subject).toEqual(cn);
  });

  it('accepts basicConstraints cA=FALSE and lists every requested extension', () => {
    const base = buildRawCsr({ privateKey: ec, subject: cn, sans: { dns: ['host.example.test'] } });
    const der = resign(base, ec, (info) => {
      const request = info.attributes[0];
      if (!request) throw new Error('no extensionRequest');
      const extensions = AsnParser.parse(request.values[0] as ArrayBuffer, ExtensionRequest);
      extensions.push(
        new Extension({
          extnID: id_ce_basicConstraints,
          critical: true,
          extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA: false }))),
        }),
      );
      request.values = [AsnConvert.serialize(extensions)];
    });
    const parsed = parseCsr(der);
    expect(parsed.requestedExtensions).toEqual([id_ce_subjectAltName, id_ce_basicConstraints]);
    expect(parsed.subjectAltNames.dns).toEqual(['host.example.test']);
  });

  it('keeps subject attributes of unknown types as dotted OIDs', () => {
    const parsed = parseCsr(buildRawCsr({ privateKey: ec, subject: [...cn, { type: '2.5.4.97', value: 'VATDE-123456789' }] }));
    expect(parsed.subject).toEqual([...cn, { type: '2.5.4.97', value: 'VATDE-123456789' }]);
  });

  // NameAttribute.value: a string under a dotted OID never reads like the `#hex` of a non-string.
  it.each([
    {
      name: 'a string that spells # and hex, with its # escaped',
      input: { type: '1.2.3.4', value: '#0c03616263' },
      want: { type: '1.2.3.4', value: '\\#0c03616263' },
    },
    { name: 'a string that begins with a backslash, escaped', input: { type: '1.2.3.4', value: '\\#' }, want: { type: '1.2.3.4', value: '\\\\#' } },
    {
      name: 'a value that is not a string as # and hex',
      input: { type: '1.2.3.4', der: Uint8Array.of(0x04, 0x01, 0x61) },
      want: { type: '1.2.3.4', value: '#040161' },
    },
    { name: 'a CN that begins with # verbatim', input: { type: 'CN', value: '#x' }, want: { type: 'CN', value: '#x' } },
  ])('reads a subject attribute: $name', ({ input, want }) => {
    expect(parseCsr(buildRawCsr({ privateKey: ec, subject: [...cn, input] })).subject).toEqual([...cn, want]);
  });

  it('refuses a subject attribute of a known type that is not a string with ERR_PKI_INVALID_NAME (X.520 makes them strings)', () => {
    const der = buildRawCsr({ privateKey: ec, subject: [...cn, { type: 'O', der: Uint8Array.of(0x02, 0x01, 0x05) }] });
    expect(codeOf(() => parseCsr(der))).toBe('ERR_PKI_INVALID_NAME');
  });

  it('accepts the RSA PKCS#1 v1.5 algorithm with absent parameters (RFC 8017 readers tolerate it)', () => {
    const der = withAlgorithm(buildRawCsr({ privateKey: rsa, subject: cn }), new AlgorithmIdentifier({ algorithm: SIG_OIDS.sha256WithRSA }));
    expect(parseCsr(der).signatureAlgorithm.name).toBe('sha256WithRSAEncryption');
  });

  it('reads a request that decodePem and parseCsr agree on', () => {
    const pem = pemOf(buildRawCsr({ privateKey: ec, subject: cn }));
    expect(parseCsr(pem).der).toEqual(decodePem(pem, 'CERTIFICATE REQUEST'));
  });
});
