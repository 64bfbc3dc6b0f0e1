/**
 * Certificate signing requests (PKCS #10, RFC 2986): creation, and a strict parser that
 * returns a typed view only after the signature verified and every policy check passed.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { OctetString } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo, Attributes } from '@peculiar/asn1-csr';
import { ChallengePassword, ExtensionRequest, id_pkcs9_at_challengePassword, id_pkcs9_at_extensionRequest } from '@peculiar/asn1-pkcs9';
import { Attribute, Extension, SubjectAlternativeName, SubjectPublicKeyInfo, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import { algorithmIdentifier, signatureAlgorithmForKey, signatureAlgorithmFromOid, type HashName, type SignatureAlgorithm } from './algorithms.js';
import { parseAsn1, toDer } from './codec/asn1.js';
import { type DerElement, readChildren, readElement, validateDer } from './codec/der.js';
import { contentOf, encodingOf, expectChildren, readGeneralNames, readName, readOid, readString } from './codec/der-reader.js';
import { decodePem, encodePem } from './codec/pem.js';
import { importSpki } from './codec/spki.js';
import { BadSignatureError, CaRequestedError, DerError, InvalidNameError, TooManyNamesError } from './errors.js';
import { sha256Hex } from './fingerprint.js';
import { checkKeyPolicy, publicKeyDer, type KeyDescription } from './keys.js';
import { checkNameAttribute, encodeName, NAME_ATTRIBUTE_TYPES, nameAttribute, nameAttributeOf, nameAttributeType, type DistinguishedName } from './name.js';
import {
  countNames,
  encodeSubjectAltNames,
  normalizeDnsName,
  normalizeEmailAddress,
  normalizeIpAddress,
  normalizeSubjectAltNames,
  type SubjectAltNames,
  type SubjectAltNamesInput,
} from './san.js';
import { MAX_SUBJECT_ALT_NAMES } from './limits.js';
import { OID_BASIC_CONSTRAINTS, OID_CHALLENGE_PASSWORD, OID_EXTENSION_REQUEST, OID_SUBJECT_ALT_NAME } from './oids.js';

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
    const value = new ChallengePassword(printable ? { printableString: options.challengePassword } : { utf8String: options.challengePassword });
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
 * most 64 characters, subject attributes of known types that are strings, and no request for a
 * CA certificate. The subject is given as `NameAttribute` documents: known types by short name
 * with their text, other types by dotted OID in the RFC 4514 §2.4 form of `readName`.
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
  const what = 'certificate request';
  const outer = validateDer(der, what);
  // RFC 2986 §4: CertificationRequest ::= SEQUENCE { info, signatureAlgorithm, signature BIT STRING }
  const [infoEl, algEl, sigEl] = expectChildren(der, outer, [0x30, 0x30, 0x03], what) as [DerElement, DerElement, DerElement];
  // CertificationRequestInfo ::= SEQUENCE { version, subject, subjectPKInfo, attributes [0] }
  // Some old tools leave out the (empty) attributes; accept that.
  const [versionEl, subjectEl, spkiEl, attrsEl] = expectChildren(der, infoEl, [0x02, 0x30, 0x30, 0xa0], what, {
    optionalTail: 1,
  }) as [DerElement, DerElement, DerElement, DerElement | undefined];
  const version = contentOf(der, versionEl);
  if (version.length !== 1 || version[0] !== 0) throw new DerError(`${what}: version is not v1 (0)`);

  const [algOidEl, algParamsEl] = expectChildren(der, algEl, [0x06, undefined], what, { optionalTail: 1 });
  const signatureAlgorithm = signatureAlgorithmFromOid(readOid(der, algOidEl as DerElement), algParamsEl ? encodingOf(der, algParamsEl) : undefined);
  const sigBits = contentOf(der, sigEl);
  if (sigBits.length < 2 || sigBits[0] !== 0) throw new DerError(`${what}: malformed signature BIT STRING`);

  // Verify over the bytes as received, never over a re-encoding.
  const tbs = encodingOf(der, infoEl);
  const spki = der.slice(spkiEl.start, spkiEl.end);
  const publicKey = importSpki(spki);
  const key = checkKeyPolicy(publicKey);
  if (key.algorithm !== signatureAlgorithm.keyType) {
    throw new BadSignatureError(`${what}: ${signatureAlgorithm.name} does not fit a ${key.algorithm} key`);
  }
  let valid: boolean;
  try {
    valid = verify(signatureAlgorithm.hash, tbs, publicKey, sigBits.subarray(1));
  } catch {
    valid = false;
  }
  if (!valid) throw new BadSignatureError(`${what}: the signature does not verify`);

  // Unknown types keep their dotted OID and the escaped form of readName (name.ts NameAttribute):
  // the certificate encoder writes them back as they were, a string as a string.
  const subject: DistinguishedName = readName(der, subjectEl, what).map((a) => nameAttributeOf(a.oid, a.value));
  for (const attr of subject) {
    if (NAME_ATTRIBUTE_TYPES.includes(attr.type)) checkNameAttribute(attr);
    // X.520 makes every type with a short name a string; nameAttributeOf left one that is not
    // under its OID, where the CA's CN and emailAddress approval would have to see through it.
    else if (nameAttributeType(attr.type) !== attr.type) throw new InvalidNameError(`${what}: ${nameAttributeType(attr.type)} is not a string`);
  }

  let challengePassword: string | undefined;
  let subjectAltNames: SubjectAltNames = { dns: [], email: [], ip: [] };
  const requestedExtensions: string[] = [];
  const seen = new Set<string>();
  for (const attrEl of attrsEl ? readChildren(der, attrsEl) : []) {
    // Attribute ::= SEQUENCE { type OID, values SET OF ANY } (RFC 2986 §4.1)
    const [typeEl, valuesEl] = expectChildren(der, attrEl, [0x06, 0x31], what) as [DerElement, DerElement];
    const type = readOid(der, typeEl);
    if (seen.has(type)) throw new DerError(`${what}: attribute ${type} appears twice`);
    seen.add(type);
    const values = readChildren(der, valuesEl);
    if (type !== OID_CHALLENGE_PASSWORD && type !== OID_EXTENSION_REQUEST) continue;
    if (values.length !== 1) throw new DerError(`${what}: attribute ${type} must have one value`);
    const value = values[0] as DerElement;
    if (type === OID_CHALLENGE_PASSWORD) {
      // RFC 2985 §5.4.1: a DirectoryString.
      const text = readString(der, value);
      if (text === undefined) throw new DerError(`${what}: challengePassword is not a string`);
      challengePassword = text;
      continue;
    }
    // RFC 2985 §5.4.2: extensionRequest, a SEQUENCE OF Extension.
    if (value.identifier !== 0x30) throw new DerError(`${what}: extensionRequest must be a SEQUENCE`);
    for (const extEl of readChildren(der, value)) {
      const parts = expectChildren(der, extEl, [0x06, undefined, undefined], what, { optionalTail: 1 });
      const id = readOid(der, parts[0] as DerElement);
      const valueEl = parts[parts.length - 1] as DerElement;
      if (parts.length === 3 && (parts[1] as DerElement).identifier !== 0x01) throw new DerError(`${what}: bad extension`);
      if (valueEl.identifier !== 0x04) throw new DerError(`${what}: extension value must be an OCTET STRING`);
      if (requestedExtensions.includes(id)) throw new DerError(`${what}: extension ${id} requested twice`);
      requestedExtensions.push(id);
      const body = contentOf(der, valueEl);
      if (id === OID_SUBJECT_ALT_NAME) {
        validateDer(body, 'subjectAltName');
        const raw = readGeneralNames(body, 'subjectAltName');
        if (raw.other.length > 0) {
          throw new InvalidNameError(`subjectAltName of type [${raw.other[0]}] is not supported (only DNS, email, IP)`);
        }
        if (raw.dns.length + raw.email.length + raw.ip.length > MAX_SUBJECT_ALT_NAMES) {
          throw new TooManyNamesError(`more than ${MAX_SUBJECT_ALT_NAMES} subject alternative names`);
        }
        subjectAltNames = normalizeSubjectAltNames(raw);
      } else if (id === OID_BASIC_CONSTRAINTS) {
        validateDer(body, 'basicConstraints');
        const bc = readElement(body, 0);
        const first = readChildren(body, bc)[0];
        // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL }
        if (first?.identifier === 0x01 && body[first.contentStart] === 0xff) {
          throw new CaRequestedError('certificate request asks for a CA certificate (basicConstraints cA=TRUE)');
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
