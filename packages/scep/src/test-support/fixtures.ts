/** Test material for the codec's tests: the captured RA, fresh requester keys, the openssl CLI. */
import { execFile } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { createTransientSigner, type ScepSigner } from '../index.js';

const vectors = new URL('../test-vectors/', import.meta.url);

/** A file of the captured certmonger material. */
export function vector(name: string): Buffer {
  return readFileSync(new URL(name, vectors));
}

/** The captured RA (certificate and key) as a signer. */
export function capturedRa(): ScepSigner {
  return {
    certificateDer: new Uint8Array(new X509Certificate(vector('ra.pem')).raw),
    privateKey: createPrivateKey(vector('ra.key')),
  };
}

/** DER of a Name with one CN. */
export function cnName(cn: string): Uint8Array {
  const rdn = new asn1js.Set({
    value: [
      new asn1js.Sequence({
        value: [new asn1js.ObjectIdentifier({ value: '2.5.4.3' }), new asn1js.Utf8String({ value: cn })],
      }),
    ],
  });
  return new Uint8Array(new asn1js.Sequence({ value: [rdn] }).toBER(false));
}

/**
 * A CRL structure (RFC 5280 §5.1: v1, no entries) under an unchecked signature: the codec
 * carries CRLs and reads their structure, it does not verify them.
 */
export function crlStandIn(issuerCn = 'crl-stand-in'): Uint8Array {
  const sha256WithRsa = new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.1.11' }), new asn1js.Null()] });
  const issuer = asn1js.fromBER(cnName(issuerCn)).result;
  const tbs = new asn1js.Sequence({ value: [sha256WithRsa, issuer, new asn1js.UTCTime({ valueDate: new Date(Date.UTC(2026, 0, 1)) })] });
  const crl = new asn1js.Sequence({ value: [tbs, sha256WithRsa, new asn1js.BitString({ valueHex: new Uint8Array(32).buffer, unusedBits: 0 })] });
  return new Uint8Array(crl.toBER(false));
}

/** A fresh RSA-2048 requester with a transient self-signed certificate. */
export function requester(cn = 'device.example.com'): ScepSigner {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return createTransientSigner({ privateKey, subjectDer: cnName(cn) });
}

/** PEM of a certificate DER. */
export function pem(der: Uint8Array): string {
  return new X509Certificate(der).toString();
}

/** A temporary directory removed by the returned function. */
export function tempDir(): { dir: string; file: (name: string, data?: string | Uint8Array) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'scep-test-'));
  return {
    dir,
    file: (name, data) => {
      const path = join(dir, name);
      if (data !== undefined) writeFileSync(path, data, { mode: 0o600 });
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs the openssl CLI (30 s limit); resolves stdout, rejects with stderr. */
export function openssl(args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: 30_000, encoding: 'buffer', maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`openssl ${args[0] ?? ''} failed: ${stderr.toString()}`));
      else resolve(stdout);
    });
  });
}
