/**
 * Test support: a small PKI for install tests. A root made with `@certwizard/pki`, an
 * intermediate signed by the openssl CLI (pki issues leaves only), leaves issued under it, and a
 * second, unrelated root for the "chains to another CA" refusal. Not part of the package's build.
 */
import { execFileSync } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createCsr,
  createSelfSignedCa,
  exportPrivateKeyPem,
  generateKeyPair,
  generateSerialNumber,
  issueCertificate,
  parseCertificate,
  parseCsr,
  type Issuer,
} from '@certwizard/pki';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A key and the certificate issued for it. */
export interface TestLeaf {
  readonly privateKey: KeyObject;
  readonly certificatePem: string;
}

/** A root, an intermediate under it, another root, and a leaf factory. */
export interface TestPki {
  /** The root, PEM: pass as `trustAnchorsPem`. */
  readonly rootPem: string;
  /** The intermediate, PEM: pass as `chainPem`. */
  readonly chainPem: string;
  /** A root that issued nothing here, PEM. */
  readonly otherRootPem: string;
  /** An intermediate of the other root, PEM: a chain that leads to the wrong CA. */
  readonly otherChainPem: string;
  /** Issues a leaf for `dns` under the intermediate (or the other root's intermediate). */
  leaf(dns: string, options?: { notBefore?: Date; notAfter?: Date; other?: boolean }): TestLeaf;
}

function root(cn: string, now: number): Issuer {
  const { privateKey } = generateKeyPair('p256');
  const { der } = createSelfSignedCa({
    subject: [{ type: 'CN', value: cn }],
    privateKey,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3650 * DAY),
    serialNumber: generateSerialNumber(),
  });
  return { certificate: parseCertificate(der), privateKey };
}

/** Has openssl sign an intermediate CA certificate: files go to `workDir`. */
function intermediate(workDir: string, issuer: Issuer, cn: string): Issuer {
  const { privateKey } = generateKeyPair('p256');
  const file = (n: string) => join(workDir, `${cn.replace(/\W/g, '_')}-${n}`);
  writeFileSync(file('csr.pem'), createCsr({ privateKey, subject: [{ type: 'CN', value: cn }] }).pem);
  writeFileSync(file('issuer.pem'), issuer.certificate.pem);
  writeFileSync(file('issuer.key'), exportPrivateKeyPem(issuer.privateKey), { mode: 0o600 });
  writeFileSync(
    file('ext.cnf'),
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
  execFileSync(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      file('csr.pem'),
      '-CA',
      file('issuer.pem'),
      '-CAkey',
      file('issuer.key'),
      '-days',
      '365',
      '-extfile',
      file('ext.cnf'),
      '-sha256',
      '-out',
      file('cert.pem'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return { certificate: parseCertificate(readFileSync(file('cert.pem'), 'utf8')), privateKey };
}

/** Builds the test PKI; `workDir` receives openssl's scratch files. */
export function createTestPki(workDir: string, now = Date.now()): TestPki {
  const mainRoot = root('Install Test Root', now);
  const mainIntermediate = intermediate(workDir, mainRoot, 'Install Test Intermediate');
  const otherRoot = root('Other Root', now);
  const otherIntermediate = intermediate(workDir, otherRoot, 'Other Intermediate');
  return {
    rootPem: mainRoot.certificate.pem,
    chainPem: mainIntermediate.certificate.pem,
    otherRootPem: otherRoot.certificate.pem,
    otherChainPem: otherIntermediate.certificate.pem,
    leaf(dns, options = {}) {
      const { privateKey } = generateKeyPair('p256');
      const request = parseCsr(createCsr({ privateKey, subjectAltNames: { dns: [dns] } }).der);
      const { pem } = issueCertificate({
        request,
        issuer: options.other ? otherIntermediate : mainIntermediate,
        serialNumber: generateSerialNumber(),
        profile: {
          notBefore: options.notBefore ?? new Date(now - HOUR),
          notAfter: options.notAfter ?? new Date(now + 90 * DAY),
          subjectAltNames: { dns: [dns] },
        },
      });
      return { privateKey, certificatePem: pem };
    },
  };
}
