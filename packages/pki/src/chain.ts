/**
 * Certification path building and validation (RFC 5280 §6.1), for the subset this package
 * needs: validity periods, signatures, basicConstraints cA and pathLenConstraint, keyCertSign,
 * and the refusal of unrecognised critical extensions. Name constraints and certificate
 * policies are not processed; a certificate that marks them critical is refused.
 */
import { verify } from 'node:crypto';
import type { Certificate } from './certificate.js';
import { ChainVerificationError } from './errors.js';
import { OID_KEY_USAGE } from './oids.js';

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions {
  /** Untrusted CA certificates that may complete the path (e.g. what a peer sent). Default: none. */
  readonly intermediates?: readonly Certificate[];
  /** Trusted CA certificates; a path must end in one of them (compared by DER bytes). */
  readonly trustAnchors: readonly Certificate[];
  /** The instant the path must be valid at. Default: now. */
  readonly at?: Date;
}

/** Longest path accepted, in certificates, leaf and trust anchor included. */
const MAX_PATH_CERTIFICATES = 8;

/** Most issuer candidates tried in one search; bounds the work a hostile intermediate set can cause. */
const MAX_CANDIDATES_TRIED = 64;

/** Extensions whose meaning this package knows (RFC 5280 §4.2.1); a critical other one is refused (§4.2). */
const RECOGNISED_EXTENSIONS: ReadonlySet<string> = new Set([
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.15', // keyUsage
  '2.5.29.17', // subjectAltName
  '2.5.29.19', // basicConstraints
  '2.5.29.31', // cRLDistributionPoints
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.37', // extKeyUsage
]);

/** A failed attempt, kept so that the error names the most specific reason found. */
interface Failure {
  /** Certificates in the path when it failed: deeper failures explain more. */
  readonly depth: number;
  /** Whether the failure only says that no issuer was found (the least specific reason). */
  readonly notFound: boolean;
  readonly message: string;
}

/** Names a certificate in messages: its CN, else its first DNS name or address, and its serial. */
function describe(cert: Certificate): string {
  const name = cert.subject.find((a) => a.type === 'CN')?.value ?? cert.subjectAltNames.dns[0] ?? cert.subjectAltNames.ip[0] ?? cert.subjectAltNames.email[0];
  return name !== undefined ? `"${name}" (serial ${cert.serialNumberHex})` : `serial ${cert.serialNumberHex}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/** §6.1.3 (a)(2) validity at `at` (notAfter inclusive, §4.1.2.5), and §4.2 critical extensions. */
function usabilityProblem(cert: Certificate, at: number): string | undefined {
  if (at < cert.notBefore.getTime()) return `certificate ${describe(cert)} is not yet valid (notBefore ${cert.notBefore.toISOString()})`;
  if (at > cert.notAfter.getTime()) return `certificate ${describe(cert)} has expired (notAfter ${cert.notAfter.toISOString()})`;
  const unknown = cert.extensions.find((e) => e.critical && !RECOGNISED_EXTENSIONS.has(e.oid));
  if (unknown) return `certificate ${describe(cert)} has an unrecognised critical extension ${unknown.oid}`;
  return undefined;
}

/** §6.1.3 (a)(1): the signature on `cert` verifies with `issuer`'s public key. */
function signatureProblem(cert: Certificate, issuer: Certificate): string | undefined {
  const alg = cert.signatureAlgorithm;
  if (!alg) {
    return `certificate ${describe(cert)} is signed with ${cert.signatureAlgorithmOid}, which is refused (MD5, SHA-1) or not supported`;
  }
  if (issuer.publicKey.asymmetricKeyType !== alg.keyType) {
    return `bad signature on ${describe(cert)}: ${alg.name} does not fit the issuer's ${String(issuer.publicKey.asymmetricKeyType)} key`;
  }
  let valid: boolean;
  try {
    valid = verify(alg.hash, cert.tbsDer, issuer.publicKey, cert.signature);
  } catch {
    valid = false;
  }
  return valid ? undefined : `bad signature on ${describe(cert)}: it does not verify with the key of ${describe(issuer)}`;
}

/**
 * §6.1.4 (k), (l), (m), (n): `issuer` may issue the certificate at the end of `path`. A trust
 * anchor in v1 form (no extensions at all, as old roots are) counts as a CA.
 */
function issuerProblem(issuer: Certificate, path: readonly Certificate[], isAnchor: boolean): string | undefined {
  const legacyAnchor = isAnchor && issuer.version === 1;
  if (!issuer.isCa && !legacyAnchor) return `issuer ${describe(issuer)} is not a CA (basicConstraints cA is not TRUE)`;
  if (issuer.extensions.some((e) => e.oid === OID_KEY_USAGE) && !issuer.keyUsage.includes('keyCertSign')) {
    return `issuer ${describe(issuer)} lacks the keyCertSign key usage`;
  }
  if (issuer.pathLength !== undefined) {
    // Intermediate CAs between this issuer and the leaf; self-issued ones do not count (§6.1.4 (l)).
    const below = path.slice(1).filter((c) => !sameBytes(c.subjectDer, c.issuerDer)).length;
    if (below > issuer.pathLength) {
      return `path length exceeded: ${describe(issuer)} allows ${issuer.pathLength} intermediate CA(s) below it, the path has ${below}`;
    }
  }
  return undefined;
}

/**
 * Builds and validates a certification path from `leaf` to one of the trust anchors (RFC 5280
 * §6.1), trying every matching issuer (subject DER equal to the issuer DER, and, when both key
 * identifiers are present, SKI equal to AKI), anchors first, with backtracking.
 *
 * Checked on every certificate of the path: validity at `at` (trust anchors included, as
 * OpenSSL does), no unrecognised critical extension, and the signature with the issuer's key
 * using an accepted algorithm (MD5 and SHA-1 are refused). Checked on every issuer: cA=TRUE
 * (v1 trust anchors excepted), keyCertSign when keyUsage is present, pathLenConstraint. The
 * anchors' own signatures are not checked: they are trusted by configuration. Leaf key usage
 * and extended key usage are left to the caller. Paths are at most 8 certificates long.
 *
 * @returns the path, leaf first and trust anchor last.
 * @throws {ChainVerificationError} `ERR_PKI_CHAIN` with the most specific reason found: a
 *   certificate expired or not yet valid, issuer not found, bad signature, refused signature
 *   algorithm, issuer not a CA, missing keyCertSign, path length exceeded, path too long, or
 *   an unrecognised critical extension.
 * @throws {TypeError} when `trustAnchors` is empty or `at` is not a valid date.
 * @example
 * const path = verifyChain(parseCertificate(leafPem), {
 *   intermediates: parseCertificateChain(chainPem), trustAnchors: [root] });
 */
export function verifyChain(leaf: Certificate, options: VerifyChainOptions): Certificate[] {
  const anchors = options.trustAnchors;
  if (!Array.isArray(anchors) || anchors.length === 0) throw new TypeError('verifyChain needs at least one trust anchor');
  const at = (options.at ?? new Date()).getTime();
  if (Number.isNaN(at)) throw new TypeError('options.at is not a valid Date');
  const pool = [...anchors, ...(options.intermediates ?? [])];
  const isAnchor = (c: Certificate) => anchors.some((a) => a === c || sameBytes(a.der, c.der));
  let failure: Failure | undefined;
  let tried = 0;

  const fail = (depth: number, message: string, notFound = false): undefined => {
    if (!failure || depth > failure.depth || (depth === failure.depth && failure.notFound && !notFound)) {
      failure = { depth, notFound, message };
    }
    return undefined;
  };

  const extend = (path: Certificate[]): Certificate[] | undefined => {
    const current = path[path.length - 1] as Certificate;
    const problem = usabilityProblem(current, at);
    if (problem) return fail(path.length, problem);
    if (isAnchor(current)) return path;
    if (path.length >= MAX_PATH_CERTIFICATES) {
      return fail(path.length, `path too long: no trust anchor within ${MAX_PATH_CERTIFICATES} certificates`);
    }
    const candidates = pool.filter(
      (c) =>
        sameBytes(c.subjectDer, current.issuerDer) &&
        !path.some((p) => p === c || sameBytes(p.der, c.der)) &&
        (current.authorityKeyIdentifier === undefined || c.subjectKeyIdentifier === undefined || current.authorityKeyIdentifier === c.subjectKeyIdentifier),
    );
    if (candidates.length === 0) {
      return fail(path.length, `issuer not found for ${describe(current)}: no trusted or intermediate certificate has its issuer name and key`, true);
    }
    for (const candidate of candidates) {
      if (++tried > MAX_CANDIDATES_TRIED) return fail(path.length, 'path search gave up: too many candidate issuers');
      const reason = issuerProblem(candidate, path, isAnchor(candidate)) ?? signatureProblem(current, candidate);
      if (reason) {
        fail(path.length, reason);
        continue;
      }
      const found = extend([...path, candidate]);
      if (found) return found;
    }
    return undefined;
  };

  const path = extend([leaf]);
  if (path) return path;
  throw new ChainVerificationError(failure?.message ?? 'no path to a trust anchor');
}
