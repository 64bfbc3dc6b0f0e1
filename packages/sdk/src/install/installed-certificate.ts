/**
 * What is installed under a name: the description {@link install} resolves with and
 * {@link readInstalled} answers.
 */
import { fingerprintSha256, type Certificate } from '@certwizard/pki';
import { join } from 'node:path';
import { liveFileName, PEM_KINDS, type InstallLayout } from './layout.js';

/** A version that is (or was just made) live. */
export interface InstalledCertificate {
  /** The certificate name, the directory under `live/` and `archive/`. */
  readonly name: string;
  /** Version number N (the files are `archive/<name>/privkeyN.pem` and so on). */
  readonly version: number;
  /**
   * The stable paths to configure a server with, under `live/<name>/` (certbot's names). They
   * always show the live version, so the server configuration never changes on renewal.
   */
  readonly paths: {
    readonly privkey: string;
    readonly cert: string;
    readonly chain: string;
    readonly fullchain: string;
    /** Present when a PKCS#12 bundle was written for this version. */
    readonly pkcs12?: string;
  };
  /** SHA-256 fingerprint of the certificate, `AB:CD:...` as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprintSha256: string;
  readonly notAfter: Date;
  /** The certificate's names: DNS names, IP addresses, email addresses (subjectAltName), else its CN. */
  readonly names: readonly string[];
}

/** Builds the description of version `version` of `layout.name` holding `leaf`. */
export function describeInstalled(layout: InstallLayout, version: number, leaf: Certificate, hasPkcs12: boolean): InstalledCertificate {
  const live = (kind: Parameters<typeof liveFileName>[0]) => join(layout.liveLink, liveFileName(kind));
  const [privkey, cert, chain, fullchain] = PEM_KINDS.map(live) as [string, string, string, string];
  const san = leaf.subjectAltNames;
  const names = [...san.dns, ...san.ip, ...san.email];
  const cn = leaf.subject.find((a) => a.type === 'CN')?.value;
  return {
    name: layout.name,
    version,
    paths: { privkey, cert, chain, fullchain, ...(hasPkcs12 ? { pkcs12: live('bundle') } : {}) },
    fingerprintSha256: fingerprintSha256(leaf.der),
    notAfter: leaf.notAfter,
    names: names.length > 0 || cn === undefined ? names : [cn],
  };
}
