import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createHmac, createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { AuthenticatedSafe, PFX } from '@peculiar/asn1-pfx';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateDer } from './codec/der.js';
import { decodePem, decodePemAll } from './codec/pem.js';
import { derivePkcs12Key, encodeBmpPassword, type Pkcs12KdfHash } from './codec/pkcs12-kdf.js';
import { DerError, KeyMismatchError, UnsupportedAlgorithmError } from './errors.js';
import { type CreatePkcs12Options, createPkcs12, DEFAULT_PKCS12_ITERATIONS } from './pkcs12.js';

/** Distinctive, so a test can prove it never shows up in an error message. */
const PASS = 'correct horse battery staple 7';
/** The smallest accepted count keeps the suite fast; one test covers the default. */
const FAST = 1_000;

interface Fixture {
  key: KeyObject;
  cert: Uint8Array;
  pem: string;
}

let dir = '';
const fixtures = new Map<string, Fixture>();
const fixture = (name: string): Fixture => {
  const found = fixtures.get(name);
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
};

/** Key and certificate generation, with the openssl CLI as an independent implementation. */
function generate(name: string, newkey: string[], subject: string, extra: string[]): void {
  execFileSync(
    'openssl',
    ['req', '-x509', '-new', ...newkey, '-noenc', '-keyout', `${name}.key`, '-subj', subject, '-days', '2'].concat(extra, ['-out', `${name}.pem`]),
    { cwd: dir, stdio: 'pipe' },
  );
  const pem = fs.readFileSync(path.join(dir, `${name}.pem`), 'utf8');
  const key = createPrivateKey(fs.readFileSync(path.join(dir, `${name}.key`)));
  fixtures.set(name, { key, cert: decodePem(pem, 'CERTIFICATE'), pem });
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pki-pkcs12-'));
  const p256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  generate('rsa', ['-newkey', 'rsa:2048'], '/CN=RSA self-signed', []);
  generate('ec', p256, '/CN=P-256 self-signed', []);
  const ca = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  generate('root', p256, '/CN=Test Root', ca);
  generate('int', p256, '/CN=Test Intermediate', ['-CA', 'root.pem', '-CAkey', 'root.key', ...ca]);
  generate('leaf', p256, '/CN=leaf.test', [
    '-CA',
    'int.pem',
    '-CAkey',
    'int.key',
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-addext',
    'subjectAltName=DNS:leaf.test',
  ]);
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Runs openssl with the passphrase only in the environment, never in argv. */
function openssl(args: string[], passphrase: string): { status: number | null; stdout: Buffer; stderr: string } {
  const result = spawnSync('openssl', args, { cwd: dir, env: { ...process.env, P12PASS: passphrase } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

const readPfx = (file: string, passphrase: string, ...options: string[]) => openssl(['pkcs12', '-in', file, '-passin', 'env:P12PASS', ...options], passphrase);

const spki = (key: KeyObject): string => createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('hex');
const pkcs8 = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'der' }).toString('hex');
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The DER AuthenticatedSafe that the MAC covers: the content octets of the `data` authSafe. */
function authenticatedSafeOf(p12: Uint8Array): Uint8Array {
  const pfx = AsnConvert.parse(p12, PFX);
  return new Uint8Array(AsnConvert.parse(pfx.authSafe.content, OctetString).buffer);
}

const MAC_HASHES: Record<string, { hash: Pkcs12KdfHash; length: number }> = {
  '1.3.14.3.2.26': { hash: 'sha1', length: 20 },
  '2.16.840.1.101.3.4.2.1': { hash: 'sha256', length: 32 },
};

/** RFC 7292 §5.1 MAC verification, written from the RFC, to check files from both sides. */
function macVerifies(p12: Uint8Array, passphrase: string): boolean {
  const { macData } = AsnConvert.parse(p12, PFX);
  const spec = MAC_HASHES[macData.mac.digestAlgorithm.algorithm];
  if (!spec) throw new Error(`unexpected MAC algorithm ${macData.mac.digestAlgorithm.algorithm}`);
  const key = derivePkcs12Key(encodeBmpPassword(passphrase), new Uint8Array(macData.macSalt.buffer), {
    purpose: 'mac-key',
    iterations: macData.iterations,
    length: spec.length,
    hash: spec.hash,
  });
  const mac = createHmac(spec.hash, key).update(authenticatedSafeOf(p12)).digest();
  return hex(mac) === hex(new Uint8Array(macData.mac.digest.buffer));
}

/** OpenSSL 3.0 prints a BMPString friendlyName byte-truncated (Latin-1); 3.2+ prints UTF-8. */
const printed = (out: Buffer): string[] => [out.toString('utf8'), out.toString('latin1')];

describe('createPkcs12 read back by OpenSSL 3.0', () => {
  const cases: { name: string; leaf: string; chain: string[] }[] = [
    { name: 'RSA-2048 self-signed', leaf: 'rsa', chain: [] },
    { name: 'P-256 self-signed', leaf: 'ec', chain: [] },
    { name: 'P-256 leaf with intermediate and root', leaf: 'leaf', chain: ['int', 'root'] },
  ];

  it.each(cases)('$name: certificates come out byte-identical, leaf first', ({ name, leaf, chain }) => {
    const chainDer = chain.map((c) => fixture(c).cert);
    const p12 = createPkcs12({
      privateKey: fixture(leaf).key,
      certificate: fixture(leaf).cert,
      chain: chainDer,
      passphrase: PASS,
      iterations: FAST,
    });
    const out = readPfx(write(`${name}.p12`, p12), PASS, '-nokeys');
    expect(out.stderr).not.toMatch(/error/i);
    expect(out.status).toBe(0);
    expect(decodePemAll(out.stdout.toString('utf8'), 'CERTIFICATE').map(hex)).toEqual([fixture(leaf).cert, ...chainDer].map(hex));
  });

  it.each(cases)('$name: the extracted private key equals the original', ({ name, leaf, chain }) => {
    const p12 = createPkcs12({
      privateKey: fixture(leaf).key,
      certificate: fixture(leaf).cert,
      chain: chain.map((c) => fixture(c).cert),
      passphrase: PASS,
      iterations: FAST,
    });
    const out = readPfx(write(`${name}-key.p12`, p12), PASS, '-nocerts', '-noenc');
    expect(out.status).toBe(0);
    const extracted = createPrivateKey(out.stdout.toString('utf8'));
    expect(spki(extracted)).toBe(spki(fixture(leaf).key));
    expect(pkcs8(extracted)).toBe(pkcs8(fixture(leaf).key));
  });

  it('writes PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC bags and an HMAC-SHA-256 MAC, 100,000 iterations by default', () => {
    const p12 = createPkcs12({ privateKey: fixture('ec').key, certificate: fixture('ec').cert, passphrase: PASS });
    const n = DEFAULT_PKCS12_ITERATIONS;
    const out = readPfx(write('info.p12', p12), PASS, '-info', '-nokeys');
    expect(out.status).toBe(0);
    expect(out.stderr).toContain(`MAC: sha256, Iteration ${n}\nMAC length: 32, salt length: 16\n`);
    expect(out.stderr).toContain(`PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration ${n}, PRF hmacWithSHA256`);
    expect(out.stderr).toContain(`Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration ${n}, PRF hmacWithSHA256`);
    expect(n).toBe(100_000);
  });

  it('pairs the key with the leaf by localKeyId and names both; chain certificates carry no attributes', () => {
    const leaf = fixture('leaf');
    const p12 = createPkcs12({
      privateKey: leaf.key,
      certificate: leaf.cert,
      chain: [fixture('int').cert, fixture('root').cert],
      passphrase: PASS,
      friendlyName: 'Build signing key 7',
      iterations: FAST,
    });
    const out = readPfx(write('attributes.p12', p12), PASS, '-noenc');
    expect(out.status).toBe(0);
    const keyId = createHash('sha1').update(leaf.cert).digest('hex').toUpperCase().match(/../g)?.join(' ');
    // One section per item, in file order: leaf, intermediate, root, key.
    const sections = out.stdout.toString('utf8').split(/-----END [A-Z ]+-----\n/);
    const paired = [sections[0], sections[3]];
    for (const section of paired) {
      expect(section).toContain('friendlyName: Build signing key 7');
      expect(section).toContain(`localKeyID: ${keyId}`);
    }
    expect(sections[3]).toContain('BEGIN PRIVATE KEY');
    expect(sections[1]).toContain('Bag Attributes: <No Attributes>');
    expect(sections[2]).toContain('Bag Attributes: <No Attributes>');
  });

  it('stores a non-ASCII friendlyName as a UTF-16BE BMPString', () => {
    const name = 'Prüfschlüssel';
    const p12 = createPkcs12({
      privateKey: fixture('ec').key,
      certificate: fixture('ec').cert,
      passphrase: PASS,
      friendlyName: name,
      iterations: FAST,
    });
    // The key bag sits in a plain `data` SafeContents, so its attributes are visible in the file.
    const bmp = Buffer.concat([Buffer.from([0x1e, name.length * 2]), Buffer.from(name, 'utf16le').swap16()]);
    expect(Buffer.from(p12).includes(bmp)).toBe(true);
    const out = readPfx(write('friendly-utf16.p12', p12), PASS, '-nokeys');
    expect(out.status).toBe(0);
    expect(printed(out.stdout).some((text) => text.includes(`friendlyName: ${name}`))).toBe(true);
  });

  it('accepts a non-ASCII passphrase: BMPString for the MAC, UTF-8 for PBES2, as OpenSSL reads them', () => {
    const passphrase = 'Grüße 🔑 pass';
    const p12 = createPkcs12({
      privateKey: fixture('rsa').key,
      certificate: fixture('rsa').cert,
      passphrase,
      iterations: FAST,
    });
    const out = readPfx(write('unicode-pass.p12', p12), passphrase, '-nocerts', '-noenc');
    expect(out.status).toBe(0);
    expect(spki(createPrivateKey(out.stdout.toString('utf8')))).toBe(spki(fixture('rsa').key));
  });

  it('fails the MAC check with a wrong passphrase', () => {
    const p12 = createPkcs12({
      privateKey: fixture('ec').key,
      certificate: fixture('ec').cert,
      passphrase: PASS,
      iterations: FAST,
    });
    const out = readPfx(write('wrong-pass.p12', p12), `${PASS}x`, '-nokeys');
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain('Mac verify error');
  });

  it('fails the MAC check when one byte of the authenticated safe is flipped', () => {
    const p12 = createPkcs12({
      privateKey: fixture('ec').key,
      certificate: fixture('ec').cert,
      passphrase: PASS,
      iterations: FAST,
    });
    const safe = authenticatedSafeOf(p12);
    const at = Buffer.from(p12).indexOf(Buffer.from(safe));
    expect(at).toBeGreaterThan(0);
    const tampered = Uint8Array.from(p12);
    // The last octet is inside the key bag's localKeyId value, so the DER stays well-formed and
    // only the MAC can notice.
    const last = at + safe.length - 1;
    tampered[last] = (tampered[last] as number) ^ 0x01;
    expect(macVerifies(p12, PASS)).toBe(true);
    expect(macVerifies(tampered, PASS)).toBe(false);
    expect(readPfx(write('untouched.p12', p12), PASS, '-nokeys').status).toBe(0);
    const out = readPfx(write('tampered.p12', tampered), PASS, '-nokeys');
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain('Mac verify error');
  });
});

describe('PKCS#12 MAC (RFC 7292 §5.1, appendix B.2) against files OpenSSL writes', () => {
  const cases: { name: string; macalg: string }[] = [
    { name: 'HMAC-SHA-256', macalg: 'sha256' },
    { name: 'HMAC-SHA-1', macalg: 'sha1' },
  ];
  it.each(cases)('$name MAC made by openssl verifies with our KDF and fails with another passphrase', ({ macalg }) => {
    const file = `openssl-${macalg}.p12`;
    const made = openssl(['pkcs12', '-export', '-inkey', 'ec.key', '-in', 'ec.pem', '-macalg', macalg, '-passout', 'env:P12PASS', '-out', file], PASS);
    expect(made.status).toBe(0);
    const p12 = new Uint8Array(fs.readFileSync(path.join(dir, file)));
    expect(macVerifies(p12, PASS)).toBe(true);
    expect(macVerifies(p12, `${PASS}x`)).toBe(false);
  });
});

describe('createPkcs12 output', () => {
  it('is one strict DER PFX v3 with certificates encrypted and the key in a data bag', () => {
    const p12 = createPkcs12({
      privateKey: fixture('ec').key,
      certificate: fixture('ec').cert,
      passphrase: PASS,
      iterations: FAST,
    });
    expect(() => validateDer(p12, 'PFX')).not.toThrow();
    const pfx = AsnConvert.parse(p12, PFX);
    expect(pfx.version).toBe(3);
    expect(pfx.authSafe.contentType).toBe('1.2.840.113549.1.7.1');
    const safe = AsnConvert.parse(authenticatedSafeOf(p12), AuthenticatedSafe);
    expect(safe.map((info) => info.contentType)).toEqual(['1.2.840.113549.1.7.6', '1.2.840.113549.1.7.1']);
    expect(pfx.macData.iterations).toBe(FAST);
    expect(pfx.macData.macSalt.byteLength).toBe(16);
  });

  it('uses fresh salts and IVs on every call', () => {
    const options: CreatePkcs12Options = {
      privateKey: fixture('ec').key,
      certificate: fixture('ec').cert,
      passphrase: PASS,
      iterations: FAST,
    };
    expect(hex(createPkcs12(options))).not.toBe(hex(createPkcs12(options)));
  });

  it('is loaded by the TLS stack of Node, which serves the chain to a verifying client', async () => {
    const leaf = fixture('leaf');
    const p12 = createPkcs12({
      privateKey: leaf.key,
      certificate: leaf.cert,
      chain: [fixture('int').cert, fixture('root').cert],
      passphrase: PASS,
      iterations: FAST,
    });
    const server = tls.createServer({ pfx: Buffer.from(p12), passphrase: PASS }, (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const peer = await new Promise<tls.DetailedPeerCertificate>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, servername: 'leaf.test', ca: fixture('root').pem }, () => {
          resolve(socket.getPeerCertificate(true));
          socket.end();
        });
        socket.on('error', reject);
      });
      expect(peer.subject.CN).toBe('leaf.test');
      expect(peer.issuerCertificate.subject.CN).toBe('Test Intermediate');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** Runs `call` and returns what it threw. */
function thrown(call: () => unknown): Error {
  try {
    call();
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error('threw a non-Error', { cause: err });
  }
  throw new Error('did not throw');
}

describe('createPkcs12 refusals', () => {
  const valid = (): CreatePkcs12Options => ({
    privateKey: fixture('ec').key,
    certificate: fixture('ec').cert,
    passphrase: PASS,
    iterations: FAST,
  });

  const mismatches: { name: string; key: string; cert: string }[] = [
    { name: 'an RSA key with an EC certificate', key: 'rsa', cert: 'ec' },
    { name: 'an EC key with the certificate of another EC key', key: 'ec', cert: 'leaf' },
    { name: 'the leaf key with its issuer certificate', key: 'leaf', cert: 'int' },
  ];
  it.each(mismatches)('KeyMismatchError for $name', ({ key, cert }) => {
    const err = thrown(() => createPkcs12({ ...valid(), privateKey: fixture(key).key, certificate: fixture(cert).cert }));
    expect(err).toBeInstanceOf(KeyMismatchError);
    expect(err).toMatchObject({ code: 'ERR_PKI_KEY_MISMATCH', name: 'KeyMismatchError' });
    expect(err.message).not.toContain(PASS);
  });

  const notDer: { name: string; options: () => Partial<CreatePkcs12Options> }[] = [
    { name: 'empty certificate bytes', options: () => ({ certificate: new Uint8Array(0) }) },
    { name: 'garbage certificate bytes', options: () => ({ certificate: Uint8Array.from([0x01, 0x02, 0x03]) }) },
    { name: 'a BER indefinite length', options: () => ({ certificate: Uint8Array.from([0x30, 0x80, 0x00, 0x00]) }) },
    {
      name: 'a trailing byte after the certificate',
      options: () => ({ certificate: Uint8Array.from([...fixture('ec').cert, 0x00]) }),
    },
    { name: 'PEM text passed as bytes', options: () => ({ certificate: Buffer.from(fixture('ec').pem) }) },
    {
      name: 'well-formed DER that is not a certificate',
      options: () => ({ certificate: createPublicKey(fixture('ec').key).export({ type: 'spki', format: 'der' }) }),
    },
    { name: 'garbage in the chain', options: () => ({ chain: [fixture('int').cert, Uint8Array.from([0x05])] }) },
  ];
  it.each(notDer)('DerError for $name', ({ options }) => {
    const err = thrown(() => createPkcs12({ ...valid(), ...options() }));
    expect(err).toBeInstanceOf(DerError);
    expect(err).toMatchObject({ code: 'ERR_PKI_DER' });
    expect(err.message).not.toContain(PASS);
  });

  it('UnsupportedAlgorithmError for an Ed25519 key', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const err = thrown(() => createPkcs12({ ...valid(), privateKey }));
    expect(err).toBeInstanceOf(UnsupportedAlgorithmError);
    expect(err).toMatchObject({ code: 'ERR_PKI_UNSUPPORTED_ALGORITHM' });
  });

  const misuse: { name: string; options: () => Record<string, unknown> }[] = [
    { name: 'an empty passphrase', options: () => ({ passphrase: '' }) },
    { name: 'a missing passphrase', options: () => ({ passphrase: undefined }) },
    { name: 'a passphrase that is not a string', options: () => ({ passphrase: 12345678 }) },
    { name: 'a passphrase with an unpaired surrogate', options: () => ({ passphrase: `${PASS}\uD800` }) },
    {
      name: 'a private key given as PEM text',
      options: () => ({ privateKey: fixture('ec').key.export({ type: 'pkcs8', format: 'pem' }) }),
    },
    {
      name: 'a public key instead of the private key',
      options: () => ({ privateKey: createPublicKey(fixture('ec').key) }),
    },
    { name: 'a secret key', options: () => ({ privateKey: createSecretKey(Buffer.alloc(32)) }) },
    { name: 'a certificate given as PEM text', options: () => ({ certificate: fixture('ec').pem }) },
    { name: 'a certificate given as a number array', options: () => ({ certificate: [...fixture('ec').cert] }) },
    { name: 'a chain that is not an array', options: () => ({ chain: fixture('int').cert }) },
    { name: 'a chain entry given as PEM text', options: () => ({ chain: [fixture('int').pem] }) },
    { name: 'iterations below 1,000', options: () => ({ iterations: 999 }) },
    { name: 'fractional iterations', options: () => ({ iterations: 1000.5 }) },
    { name: 'iterations above 10,000,000', options: () => ({ iterations: 10_000_001 }) },
    { name: 'iterations as a string', options: () => ({ iterations: '100000' }) },
    { name: 'an empty friendlyName', options: () => ({ friendlyName: '' }) },
    { name: 'a friendlyName over 255 characters', options: () => ({ friendlyName: 'n'.repeat(256) }) },
    { name: 'a friendlyName outside the BMP', options: () => ({ friendlyName: 'key 🔑' }) },
  ];
  it.each(misuse)('TypeError for $name, without the passphrase in the message', ({ options }) => {
    const err = thrown(() => createPkcs12({ ...valid(), ...options() } as unknown as CreatePkcs12Options));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).not.toContain(PASS);
  });

  it('TypeError when options is not an object', () => {
    expect(() => createPkcs12(null as unknown as CreatePkcs12Options)).toThrow(TypeError);
  });
});
