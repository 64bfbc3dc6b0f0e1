import { execFileSync, spawnSync } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Certificate,
  type CertificateProfile,
  createSelfSignedCa,
  generateSerialNumber,
  type Issuer,
  issueCertificate,
  parseCertificate,
} from './certificate.js';
import { verifyChain } from './chain.js';
import { int, seq } from './codec/der-writer.js';
import { createCsr, parseCsr } from './csr.js';
import { ChainVerificationError } from './errors.js';
import { exportPrivateKeyPem, generateKeyPair } from './keys.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const now = Date.now();

let dir: string;
let counter = 0;

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

function root(name: string, pathLength?: number): Issuer {
  const { privateKey } = generateKeyPair('p256');
  const { der } = createSelfSignedCa({
    subject: [{ type: 'CN', value: name }],
    privateKey,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3650 * DAY),
    serialNumber: generateSerialNumber(),
    ...(pathLength !== undefined ? { pathLength } : {}),
  });
  return { certificate: parseCertificate(der), privateKey };
}

const CA_EXTENSIONS = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';

/** Has openssl sign a certificate for a fresh P-256 key: the way intermediates are made here. */
function signWithOpenssl(issuer: Issuer, subjectCn: string, extensions: string, options: { digest?: string; days?: number } = {}): Issuer {
  const n = ++counter;
  const { privateKey } = generateKeyPair('p256');
  write(`c${n}.csr`, createCsr({ privateKey, subject: [{ type: 'CN', value: subjectCn }] }).pem);
  write(`c${n}-issuer.pem`, issuer.certificate.pem);
  write(`c${n}-issuer.key`, exportPrivateKeyPem(issuer.privateKey));
  write(`c${n}.ext`, extensions);
  openssl(
    'x509',
    '-req',
    '-in',
    `c${n}.csr`,
    '-CA',
    `c${n}-issuer.pem`,
    '-CAkey',
    `c${n}-issuer.key`,
    '-days',
    String(options.days ?? 30),
    '-extfile',
    `c${n}.ext`,
    `-${options.digest ?? 'sha256'}`,
    '-out',
    `c${n}.pem`,
  );
  return { certificate: parseCertificate(readFileSync(join(dir, `c${n}.pem`), 'utf8')), privateKey };
}

function leafFrom(issuer: Issuer, extra: Partial<CertificateProfile> = {}): Certificate & { privateKey: KeyObject } {
  const { privateKey } = generateKeyPair('p256');
  const request = parseCsr(createCsr({ privateKey, subjectAltNames: { dns: ['leaf.example.org'] } }).der);
  const { der } = issueCertificate({
    request,
    issuer,
    serialNumber: generateSerialNumber(),
    profile: { notBefore: new Date(now - HOUR), notAfter: new Date(now + 20 * DAY), subjectAltNames: { dns: ['leaf.example.org'] }, ...extra },
  });
  return { ...parseCertificate(der), privateKey };
}

/** What verifyChain throws, as `code: message`, or the fingerprints of the path. */
function outcome(fn: () => Certificate[]): string {
  try {
    return fn()
      .map((c) => c.subject.find((a) => a.type === 'CN')?.value ?? 'leaf')
      .join(' > ');
  } catch (err) {
    if (err instanceof ChainVerificationError) return `${err.code}: ${err.message}`;
    throw err;
  }
}

let rootCa: Issuer;
let otherRoot: Issuer;
let intermediate: Issuer;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pki-chain-'));
  rootCa = root('Root');
  otherRoot = root('Other Root');
  intermediate = signWithOpenssl(rootCa, 'Intermediate', CA_EXTENSIONS);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('verifyChain', () => {
  it('builds paths that openssl also accepts', () => {
    const direct = leafFrom(rootCa);
    const viaIntermediate = leafFrom(intermediate);
    const impostor = root('Intermediate'); // same name as the intermediate, another key
    const cases = [
      { name: 'leaf issued by the root', leaf: direct, intermediates: [], anchors: [rootCa.certificate], want: 'leaf > Root' },
      {
        name: 'leaf under an intermediate, with a same-named impostor in the pool',
        leaf: viaIntermediate,
        intermediates: [impostor.certificate, intermediate.certificate],
        anchors: [otherRoot.certificate, rootCa.certificate],
        want: 'leaf > Intermediate > Root',
      },
      { name: 'an intermediate trusted directly', leaf: viaIntermediate, intermediates: [], anchors: [intermediate.certificate], want: 'leaf > Intermediate' },
    ];
    for (const { name, leaf, intermediates, anchors, want } of cases) {
      expect(
        outcome(() => verifyChain(leaf, { intermediates, trustAnchors: anchors })),
        name,
      ).toBe(want);
    }
    write('root.pem', rootCa.certificate.pem);
    write('intermediate.pem', intermediate.certificate.pem);
    write('leaf.pem', viaIntermediate.pem);
    expect(openssl('verify', '-CAfile', 'root.pem', '-untrusted', 'intermediate.pem', 'leaf.pem')).toContain('leaf.pem: OK');
  });

  it('refuses each broken path with ERR_PKI_CHAIN and says why', () => {
    const leaf = leafFrom(intermediate);
    const tampered = parseCertificate(flipLastByte(leaf.der));
    const nonCaIssued = signWithOpenssl({ certificate: leaf, privateKey: leaf.privateKey }, 'Under a leaf', 'basicConstraints=CA:FALSE\n');
    const noKeyCertSign = signWithOpenssl(rootCa, 'No keyCertSign', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,cRLSign\n');
    const underNoKeyCertSign = signWithOpenssl(noKeyCertSign, 'Under no keyCertSign', 'basicConstraints=CA:FALSE\n');
    const sha1Leaf = signWithOpenssl(rootCa, 'SHA-1 leaf', 'basicConstraints=CA:FALSE\n', { digest: 'sha1' });
    const shortLived = signWithOpenssl(rootCa, 'Short-lived', CA_EXTENSIONS, { days: 1 });
    const outlivesIssuer = signWithOpenssl(shortLived, 'Outlives its issuer', 'basicConstraints=CA:FALSE\n', { days: 30 });
    const criticalUnknown = leafFrom(rootCa, { extraExtensions: [{ oid: '1.3.6.1.4.1.55555.2', critical: true, value: seq(int(1)) }] });
    const anchors = [rootCa.certificate];
    const intermediates = [intermediate.certificate];

    const cases: { name: string; run: () => Certificate[]; want: RegExp }[] = [
      {
        name: 'expired leaf',
        run: () => verifyChain(leaf, { intermediates, trustAnchors: anchors, at: new Date(leaf.notAfter.getTime() + 1000) }),
        want: /has expired/,
      },
      {
        name: 'leaf not yet valid',
        run: () => verifyChain(leaf, { intermediates, trustAnchors: anchors, at: new Date(leaf.notBefore.getTime() - 1000) }),
        want: /not yet valid/,
      },
      {
        name: 'expired intermediate',
        run: () => verifyChain(outlivesIssuer.certificate, { intermediates: [shortLived.certificate], trustAnchors: anchors, at: new Date(now + 3 * DAY) }),
        want: /"Short-lived" .* has expired/,
      },
      { name: 'wrong trust anchor', run: () => verifyChain(leaf, { intermediates, trustAnchors: [otherRoot.certificate] }), want: /issuer not found/ },
      { name: 'missing intermediate', run: () => verifyChain(leaf, { trustAnchors: anchors }), want: /issuer not found/ },
      { name: 'tampered signature', run: () => verifyChain(tampered, { intermediates, trustAnchors: anchors }), want: /bad signature/ },
      {
        name: 'issuer that is not a CA',
        run: () => verifyChain(nonCaIssued.certificate, { intermediates: [leaf, intermediate.certificate], trustAnchors: anchors }),
        want: /is not a CA/,
      },
      {
        name: 'issuer without keyCertSign',
        run: () => verifyChain(underNoKeyCertSign.certificate, { intermediates: [noKeyCertSign.certificate], trustAnchors: anchors }),
        want: /lacks the keyCertSign/,
      },
      {
        name: 'SHA-1 signature',
        run: () => verifyChain(sha1Leaf.certificate, { trustAnchors: anchors }),
        want: /signed with 1\.2\.840\.10045\.4\.1, which is refused/,
      },
      {
        name: 'unrecognised critical extension',
        run: () => verifyChain(criticalUnknown, { trustAnchors: anchors }),
        want: /unrecognised critical extension 1\.3\.6\.1\.4\.1\.55555\.2/,
      },
    ];
    for (const { name, run, want } of cases) {
      const got = outcome(run);
      expect(got, name).toMatch(/^ERR_PKI_CHAIN: /);
      expect(got, name).toMatch(want);
    }
  });

  it('enforces pathLenConstraint as openssl does', () => {
    const strictRoot = root('Strict Root', 0);
    const inter = signWithOpenssl(strictRoot, 'Too deep', CA_EXTENSIONS);
    const leaf = leafFrom(inter);
    expect(outcome(() => verifyChain(leaf, { intermediates: [inter.certificate], trustAnchors: [strictRoot.certificate] }))).toMatch(
      /^ERR_PKI_CHAIN: path length exceeded/,
    );
    write('strict-root.pem', strictRoot.certificate.pem);
    write('too-deep.pem', inter.certificate.pem);
    write('too-deep-leaf.pem', leaf.pem);
    const result = spawnSync('openssl', ['verify', '-CAfile', 'strict-root.pem', '-untrusted', 'too-deep.pem', 'too-deep-leaf.pem'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toMatch(/path length constraint exceeded/);
  });

  it('stops at 8 certificates', () => {
    let issuer = rootCa;
    const levels: Issuer[] = [];
    for (let i = 1; i <= 7; i++) {
      issuer = signWithOpenssl(issuer, `Level ${i}`, CA_EXTENSIONS);
      levels.push(issuer);
    }
    const chain = levels.map((l) => l.certificate);
    const longest = leafFrom(levels[5] as Issuer); // leaf + 6 intermediates + root = 8 certificates
    expect(verifyChain(longest, { intermediates: chain, trustAnchors: [rootCa.certificate] })).toHaveLength(8);
    const tooLong = leafFrom(levels[6] as Issuer); // 9 certificates
    expect(outcome(() => verifyChain(tooLong, { intermediates: chain, trustAnchors: [rootCa.certificate] }))).toMatch(/^ERR_PKI_CHAIN: path too long/);
  });

  it('refuses misuse with TypeError', () => {
    const leaf = leafFrom(rootCa);
    expect(() => verifyChain(leaf, { trustAnchors: [] })).toThrow(TypeError);
    expect(() => verifyChain(leaf, { trustAnchors: [rootCa.certificate], at: new Date(Number.NaN) })).toThrow(TypeError);
  });
});

/** Flips the last octet of a DER certificate: the end of the ECDSA signature's s value. */
function flipLastByte(der: Uint8Array): Uint8Array {
  const copy = new Uint8Array(der);
  copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x01;
  return copy;
}
