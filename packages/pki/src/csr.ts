/**
 * Certificate signing requests (PKCS #10, RFC 2986): creation, and a strict parser that
 * returns a typed view only after the signature verified and every policy check passed.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { OctetString } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo, Attributes } from '@peculiar/asn1-csr';
import {
  ChallengePassword,
  ExtensionRequest,
  id_pkcs9_at_challengePassword,
  id_pkcs9_at_extensionRequest,
} from '@peculiar/asn1-pkcs9';
import { Attribute, BasicConstraints, Extension, SubjectAlternativeName, SubjectPublicKeyInfo, id_ce_basicConstraints, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import { algorithmIdentifier, signatureAlgorithmForKey, signatureAlgorithmFromIdentifier, type HashName, type SignatureAlgorithm } from './algorithms.js';
import { parseAsn1, parseDer, toDer } from './codec/asn1.js';
import { readChildren, readElement } from './codec/der.js';
import { decodePem, encodePem } from './codec/pem.js';
import { importSpki } from './codec/spki.js';
import { BadSignatureError, CaRequestedError, DerError, InvalidNameError, TooManyNamesError } from './errors.js';
import { sha256Hex } from './fingerprint.js';
import { checkKeyPolicy, publicKeyDer, type KeyDescription } from './keys.js';
import { checkNameAttribute, decodeName, encodeName, NAME_ATTRIBUTE_TYPES, nameAttribute, type DistinguishedName } from './name.js';
import {
  countNames,
  decodeSubjectAltNames,
  encodeSubjectAltNames,
  normalizeDnsName,
  normalizeEmailAddress,
  normalizeIpAddress,
  normalizeSubjectAltNames,
  type SubjectAltNames,
  type SubjectAltNamesInput,
} from './san.js';
import { MAX_SUBJECT_ALT_NAMES } from './limits.js';

/** PEM labels accepted for a request; the second is what older Netscape and Microsoft tools write. */
const CSR_LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'];

/** Options of {@link createCsr}. */
export interface CreateCsrOptions {
  /** The key that signs the request; its public half goes into it. */
  readonly privateKey: KeyObject;
  /** Subject attributes, most significant first. Default: an empty subject. */
  readonly subject?: DistinguishedName;
  /** Names to request in an extensionRequest attribute (RFC 2985 §5.4.2). Default: none. */
  readonly subjectAltNames?: SubjectAltNamesInput;
  /** PKCS #9 challengePassword (RFC 2985 §5.4.1), e.g. a SCEP PIN. It is a secret: never log it. */
  readonly challengePassword?: string;
  /** Digest to sign with. Default: SHA-256 (SHA-384 for P-384 keys). */
  readonly hash?: HashName;
}

/** A request as DER and PEM. */
export interface EncodedCsr {
  readonly der: Uint8Array;
  readonly pem: string;
}

/** The typed view of a request that passed {@link parseCsr}. */
export interface CertificateRequest extends EncodedCsr {
  readonly subject: DistinguishedName;
  /** Names from the extensionRequest's subjectAltName, normalised. */
  readonly subjectAltNames: SubjectAltNames;
  readonly publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo exactly as received. */
  readonly publicKeyDer: Uint8Array;
  readonly key: KeyDescription;
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** The challengePassword attribute, if any. A secret: never log it. */
  readonly challengePassword?: string;
  /** OIDs of every extension requested through extensionRequest. */
  readonly requestedExtensions: readonly string[];
  /** Lower-case hex SHA-256 of the DER request. */
  readonly fingerprintSha256: string;
}

/**
 * Creates and signs a PKCS #10 request (RFC 2986 §4).
 *
 * @throws {InvalidNameError} `ERR_PKI_INVALID_NAME`, {@link CommonNameTooLongError}
 *   `ERR_PKI_CN_TOO_LONG`, {@link TooManyNamesError} `ERR_PKI_TOO_MANY_SANS` for bad names.
 * @throws {WeakKeyError} `ERR_PKI_WEAK_KEY` for keys the CA would refuse anyway.
 * @example
 * const { privateKey } = generateKeyPair('p256');
 * const csr = createCsr({ privateKey, subject: [{ type: 'CN', value: 'mail.example.org' }],
 *   subjectAltNames: { dns: ['mail.example.org'] } });
 */
export function createCsr(options: CreateCsrOptions): EncodedCsr {
  const { privateKey } = options;
  if (privateKey?.type !== 'private') throw new TypeError('createCsr needs a private KeyObject');
  checkKeyPolicy(privateKey);
  const names = normalizeSubjectAltNames(options.subjectAltNames ?? {});
  const attributes = new Attributes();
  if (options.challengePassword !== undefined) {
    if (options.challengePassword.length === 0) throw new TypeError('challengePassword must not be empty');
    const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(options.challengePassword);
    const value = new ChallengePassword(
      printable ? { printableString: options.challengePassword } : { utf8String: options.challengePassword },
    );
    attributes.push(new Attribute({ type: id_pkcs9_at_challengePassword, values: [toDer(value).slice().buffer] }));
  }
  if (countNames(names) > 0) {
    const san = new Extension({
      extnID: id_ce_subjectAltName,
      critical: false,
      extnValue: new OctetString(toDer(new SubjectAlternativeName(encodeSubjectAltNames(names)))),
    });
    attributes.push(new Attribute({ type: id_pkcs9_at_extensionRequest, values: [toDer(new ExtensionRequest([san])).slice().buffer] }));
  }
  const info = new CertificationRequestInfo({
    version: 0,
    subject: encodeName(options.subject ?? []),
    subjectPKInfo: parseAsn1(publicKeyDer(privateKey), SubjectPublicKeyInfo, 'public key'),
    attributes,
  });
  const tbs = toDer(info);
  const alg = signatureAlgorithmForKey(privateKey, options.hash);
  const signature = sign(alg.hash, tbs, privateKey);
  const der = toDer(
    new CertificationRequest({
      certificationRequestInfo: info,
      signatureAlgorithm: algorithmIdentifier(alg),
      signature: new Uint8Array(signature).buffer,
    }),
  );
  return { der, pem: encodePem('CERTIFICATE REQUEST', der) };
}

/**
 * Parses and checks a request: strict PEM or DER, version 1, an accepted key (RSA >= 2048 with
 * e = 65537, P-256, P-384), an accepted signature algorithm (no MD5 or SHA-1), a valid
 * self-signature (RFC 2986 §3 proof of possession), at most 100 well-formed names, a CN of at
 * most 64 characters, and no request for a CA certificate.
 *
 * @param input - PEM text (`CERTIFICATE REQUEST`) or DER bytes, at most 64 KiB.
 * @throws {InputTooLargeError} `ERR_PKI_INPUT_TOO_LARGE`
 * @throws {PemError} `ERR_PKI_PEM`; {@link DerError} `ERR_PKI_DER`
 * @throws {WeakKeyError} `ERR_PKI_WEAK_KEY`; {@link WeakSignatureAlgorithmError} `ERR_PKI_WEAK_SIGNATURE_ALGORITHM`
 * @throws {BadSignatureError} `ERR_PKI_BAD_SIGNATURE`
 * @throws {TooManyNamesError} `ERR_PKI_TOO_MANY_SANS`; {@link CommonNameTooLongError} `ERR_PKI_CN_TOO_LONG`;
 *   {@link InvalidNameError} `ERR_PKI_INVALID_NAME`
 * @throws {CaRequestedError} `ERR_PKI_CA_REQUESTED`
 */
export function parseCsr(input: string | Uint8Array): CertificateRequest {
  const der = typeof input === 'string' ? decodePem(input, CSR_LABELS) : input;
  if (!(der instanceof Uint8Array)) throw new TypeError('parseCsr takes PEM text or DER bytes');
  const csr = parseDer(der, CertificationRequest, 'certificate request');
  const info = csr.certificationRequestInfo;
  if (info.version !== 0) throw new DerError(`certificate request: version ${info.version} is not v1 (0)`);

  // Raw slices of what was signed: verify over the received bytes, never a re-encoding.
  const outer = readElement(der, 0);
  const [tbsEl] = readChildren(der, outer);
  if (!tbsEl) throw new DerError('certificate request: empty');
  const tbs = der.subarray(tbsEl.start, tbsEl.end);
  const spkiEl = readChildren(der, tbsEl)[2];
  if (!spkiEl) throw new DerError('certificate request: no public key');
  const spki = der.slice(spkiEl.start, spkiEl.end);

  const signatureAlgorithm = signatureAlgorithmFromIdentifier(csr.signatureAlgorithm);
  const publicKey = importSpki(spki);
  const key = checkKeyPolicy(publicKey);
  if (key.algorithm !== signatureAlgorithm.keyType) {
    throw new BadSignatureError(`certificate request: ${signatureAlgorithm.name} does not fit a ${key.algorithm} key`);
  }
  let valid: boolean;
  try {
    valid = verify(signatureAlgorithm.hash, tbs, publicKey, new Uint8Array(csr.signature));
  } catch {
    valid = false;
  }
  if (!valid) throw new BadSignatureError('certificate request: the signature does not verify');

  const subject = decodeName(info.subject);
  for (const attr of subject) if (NAME_ATTRIBUTE_TYPES.includes(attr.type)) checkNameAttribute(attr);

  let challengePassword: string | undefined;
  let subjectAltNames: SubjectAltNames = { dns: [], email: [], ip: [] };
  const requestedExtensions: string[] = [];
  const seen = new Set<string>();
  for (const attr of info.attributes ?? []) {
    if (seen.has(attr.type)) throw new DerError(`certificate request: attribute ${attr.type} appears twice`);
    seen.add(attr.type);
    if (attr.type === id_pkcs9_at_challengePassword || attr.type === id_pkcs9_at_extensionRequest) {
      if (attr.values.length !== 1) throw new DerError(`certificate request: attribute ${attr.type} must have one value`);
    }
    const value = attr.values[0];
    if (attr.type === id_pkcs9_at_challengePassword && value) {
      challengePassword = parseAsn1(value, ChallengePassword, 'challengePassword').toString();
    } else if (attr.type === id_pkcs9_at_extensionRequest && value) {
      const extensions = parseAsn1(value, ExtensionRequest, 'extensionRequest');
      for (const ext of extensions) {
        if (requestedExtensions.includes(ext.extnID)) {
          throw new DerError(`certificate request: extension ${ext.extnID} requested twice`);
        }
        requestedExtensions.push(ext.extnID);
        const body = ext.extnValue.buffer;
        if (ext.extnID === id_ce_subjectAltName) {
          subjectAltNames = decodeSubjectAltNames(parseAsn1(body, SubjectAlternativeName, 'subjectAltName'));
        } else if (ext.extnID === id_ce_basicConstraints) {
          if (parseAsn1(body, BasicConstraints, 'basicConstraints').cA) {
            throw new CaRequestedError('certificate request asks for a CA certificate (basicConstraints cA=TRUE)');
          }
        }
      }
    }
  }
  return {
    der,
    pem: encodePem('CERTIFICATE REQUEST', der),
    subject,
    subjectAltNames,
    publicKey,
    publicKeyDer: spki,
    key,
    signatureAlgorithm,
    ...(challengePassword !== undefined ? { challengePassword } : {}),
    requestedExtensions,
    fingerprintSha256: sha256Hex(der),
  };
}

/**
 * Every name a request asks for: its subjectAltNames plus the subject's CN (as a DNS name or
 * IP address, when it is one) and emailAddress attributes, normalised and deduplicated. This is
 * the set a CA approves or refuses.
 * @throws {TooManyNamesError} `ERR_PKI_TOO_MANY_SANS` past 100 names.
 */
export function requestedNames(request: Pick<CertificateRequest, 'subject' | 'subjectAltNames'>): SubjectAltNames {
  const dns = [...request.subjectAltNames.dns];
  const email = [...request.subjectAltNames.email];
  const ip = [...request.subjectAltNames.ip];
  const cn = nameAttribute(request.subject, 'CN');
  // A CN counts as a host name only when it looks like one (has a dot, or is an IP): a CN such
  // as "Alice" is a person's name, not the DNS name "alice".
  if (cn !== undefined && (cn.includes('.') || cn.includes(':'))) {
    // isIP first: building a thrown error costs more than the rest of the name handling.
    const asName = isIP(cn) ? tryName(() => normalizeIpAddress(cn), 'ip') : tryName(() => normalizeDnsName(cn), 'dns');
    if (asName?.kind === 'ip') ip.push(asName.value);
    if (asName?.kind === 'dns') dns.push(asName.value);
  }
  for (const attr of request.subject) {
    if (attr.type === 'emailAddress') email.push(normalizeEmailAddress(attr.value));
  }
  const all = normalizeSubjectAltNames({ dns, email, ip });
  if (countNames(all) > MAX_SUBJECT_ALT_NAMES) throw new TooManyNamesError('too many names requested');
  return all;
}

function tryName(fn: () => string, kind: 'dns' | 'ip'): { kind: 'dns' | 'ip'; value: string } | undefined {
  try {
    return { kind, value: fn() };
  } catch (err) {
    if (err instanceof InvalidNameError) return undefined;
    throw err;
  }
}
