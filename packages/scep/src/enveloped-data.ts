/**
 * CMS EnvelopedData (RFC 5652 §6) as SCEP uses it (RFC 8894 §3.2.2): one KeyTransRecipientInfo,
 * RSA key transport, AES-CBC or 3DES-CBC content encryption. The structures are pkijs classes
 * (EnvelopedData, RecipientInfo, KeyTransRecipientInfo, EncryptedContentInfo, RSAESOAEPParams);
 * the RSA and symmetric operations are node:crypto, and node-forge for the raw RSA step of
 * PKCS #1 v1.5 decryption (pkijs' WebCrypto engine cannot do it, and is never used).
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import forge from 'node-forge';
import { ScepError, type ScepContentEncryption, type ScepSigner } from './errors.js';
import { CIPHERS, OID_DATA, OID_ENVELOPED_DATA, OID_RSA_ENCRYPTION, OID_RSAES_OAEP, keyOf } from './oids.js';
import { algorithmId, certificateParts, contentInfo, derOctets, encode, issuerAndSerialOf, octetsOf, openAs } from './der.js';

/**
 * RFC 5652 §6.1-6.2.1: encrypts `content` to the certificate's RSA key: RSAES-PKCS1-v1_5 key
 * transport (node:crypto publicEncrypt; RFC 8894 §3.2.2 and the clients in the field expect it)
 * and `contentEncryption` for the content. Returns the EnvelopedData ContentInfo DER.
 */
export function encryptEnvelope(content: Uint8Array, recipientCertificateDer: Uint8Array, contentEncryption: ScepContentEncryption): Uint8Array {
  const cipher = CIPHERS[contentEncryption];
  if (cipher === undefined) throw new TypeError(`unsupported content encryption ${String(contentEncryption)}`);
  const parts = certificateParts(recipientCertificateDer);
  const publicKey = createPublicKey({ key: Buffer.from(parts.spkiDer), format: 'der', type: 'spki' });
  if (publicKey.asymmetricKeyType !== 'rsa') {
    throw new ScepError('ERR_SCEP_ALGORITHM', 'the recipient certificate has no RSA key (SCEP needs RSA key transport)');
  }
  const key = randomBytes(cipher.keyBytes);
  const iv = randomBytes(cipher.ivBytes);
  const c = createCipheriv(contentEncryption, key, iv);
  const encrypted = Buffer.concat([c.update(content), c.final()]);
  const encryptedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, key);
  const recipientInfo = new pkijs.RecipientInfo({
    variant: 1,
    value: new pkijs.KeyTransRecipientInfo({
      version: 0,
      rid: issuerAndSerialOf(recipientCertificateDer),
      keyEncryptionAlgorithm: algorithmId(OID_RSA_ENCRYPTION),
      encryptedKey: new asn1js.OctetString({ valueHex: new Uint8Array(encryptedKey).buffer }),
    }),
  });
  const envelopedData = new pkijs.EnvelopedData({
    version: 0,
    recipientInfos: [recipientInfo],
    encryptedContentInfo: new pkijs.EncryptedContentInfo({
      contentType: OID_DATA,
      contentEncryptionAlgorithm: algorithmId(cipher.oid, new asn1js.OctetString({ valueHex: new Uint8Array(iv).buffer })),
      // One primitive [0] (DER); pkijs would otherwise cut it into 1 KiB BER pieces.
      encryptedContent: derOctets(encrypted) as unknown as asn1js.OctetString,
      disableSplit: true,
    }),
  });
  return contentInfo(OID_ENVELOPED_DATA, envelopedData);
}

const DECRYPT_MESSAGE = 'the pkcsPKIEnvelope could not be decrypted';

function fail(): never {
  throw new ScepError('ERR_SCEP_DECRYPT', DECRYPT_MESSAGE);
}

/**
 * RFC 8017 §7.2.2 with implicit rejection: RSAES-PKCS1-v1_5 decryption that never reveals
 * whether the padding was right (Bleichenbacher 1998). The raw RSA block comes from node-forge
 * (node:crypto refuses PKCS #1 v1.5 private decryption since the Marvin fixes); the padding is
 * checked without early exit and, when wrong or of the wrong length, replaced by a key derived
 * from the private key and the ciphertext, so the caller fails later exactly as for any other
 * wrong key. Internal (exported for its test, not from the package index).
 */
export function pkcs1v15DecryptImplicit(recipient: ScepSigner, ciphertext: Uint8Array, keyBytes: number): Buffer {
  const pkcs8 = recipient.privateKey.export({ format: 'der', type: 'pkcs8' });
  const macKey = createHash('sha256').update(pkcs8).digest();
  const synthetic = createHmac('sha256', macKey).update(ciphertext).digest().subarray(0, keyBytes);
  let block: Buffer;
  try {
    const forgeKey = forge.pki.privateKeyFromPem(recipient.privateKey.export({ format: 'pem', type: 'pkcs1' }).toString());
    const raw = (forge.pki.rsa as unknown as { decrypt(ed: string, key: unknown, pub: boolean, ml: boolean): string }).decrypt(
      Buffer.from(ciphertext).toString('binary'),
      forgeKey,
      false,
      false,
    );
    block = Buffer.from(raw, 'binary');
  } catch {
    block = Buffer.alloc(0);
  }
  // EM = 0x00 || 0x02 || PS (>= 8 non-zero) || 0x00 || M, checked over the whole block.
  const k = block.length;
  let good = k >= keyBytes + 11 ? 1 : 0;
  good &= block[0] === 0 ? 1 : 0;
  good &= block[1] === 2 ? 1 : 0;
  let separator = 0;
  for (let i = 2; i < k; i += 1) {
    const isZero = block[i] === 0 ? 1 : 0;
    const first = isZero & (separator === 0 ? 1 : 0);
    separator = first === 1 ? i : separator;
  }
  good &= separator >= 10 ? 1 : 0;
  good &= k - separator - 1 === keyBytes ? 1 : 0;
  const candidate = Buffer.alloc(keyBytes);
  block.copy(candidate, 0, Math.max(0, k - keyBytes));
  const out = Buffer.alloc(keyBytes);
  for (let i = 0; i < keyBytes; i += 1) {
    const mask = -good & 0xff;
    out[i] = ((candidate[i] ?? 0) & mask) | ((synthetic[i] ?? 0) & ~mask & 0xff);
  }
  return out;
}

/** RSAES-OAEP (RFC 8017 §7.1.2) with the default SHA-1 parameters, or SHA-256 when named (RFC 8017 A.2.1). */
function oaepDecrypt(recipient: ScepSigner, ciphertext: Uint8Array, parameters: unknown): Buffer {
  let oaepHash = 'sha1';
  if (parameters instanceof asn1js.Sequence) {
    const params = new pkijs.RSAESOAEPParams({ schema: parameters });
    const oid = params.hashAlgorithm.algorithmId;
    if (oid === '2.16.840.1.101.3.4.2.1') oaepHash = 'sha256';
    else if (oid !== '1.3.14.3.2.26') fail();
  }
  return privateDecrypt({ key: recipient.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, ciphertext);
}

/** Does this recipient identifier name the recipient's certificate (RFC 5652 §6.2.1)? */
function namesRecipient(ktri: pkijs.KeyTransRecipientInfo, recipient: ScepSigner): boolean {
  const rid: unknown = ktri.rid;
  if (rid instanceof pkijs.IssuerAndSerialNumber) {
    return timingSafeEqualBytes(encode(rid), encode(issuerAndSerialOf(recipient.certificateDer)));
  }
  if (rid instanceof asn1js.OctetString) {
    const ski = certificateParts(recipient.certificateDer).subjectKeyIdentifier;
    return ski !== undefined && timingSafeEqualBytes(new Uint8Array(rid.valueBlock.valueHexView), ski);
  }
  return false;
}

function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Decrypts a pkcsPKIEnvelope (RFC 8894 §3.2.2; RFC 5652 §6, KeyTransRecipientInfo) with the
 * recipient's key: RSAES-PKCS1-v1_5 key transport through node-forge with implicit rejection
 * (a bad padding yields a pseudo-random key derived from the private key and the ciphertext;
 * the content decryption then fails like any other failure), RSAES-OAEP through node:crypto,
 * then AES-CBC / 3DES-CBC through node:crypto. Every failure -> ScepError ERR_SCEP_DECRYPT,
 * one message. Returns the plaintext (for PKCSReq/RenewalReq: the PKCS #10 DER).
 */
export function decryptEnvelope(envelopeDer: Uint8Array, recipient: ScepSigner): Uint8Array {
  try {
    const env = openAs(pkijs.EnvelopedData, envelopeDer, OID_ENVELOPED_DATA, 'pkcsPKIEnvelope', DECRYPT_MESSAGE);
    const ktri = env.recipientInfos
      .map((ri) => ri.value)
      .find((value): value is pkijs.KeyTransRecipientInfo => value instanceof pkijs.KeyTransRecipientInfo && namesRecipient(value, recipient));
    if (ktri === undefined) fail();
    const eci = env.encryptedContentInfo;
    const cipherName = keyOf(
      Object.fromEntries(Object.entries(CIPHERS).map(([name, c]) => [name, c.oid])) as Record<ScepContentEncryption, string>,
      eci.contentEncryptionAlgorithm.algorithmId,
    );
    const ivField: unknown = eci.contentEncryptionAlgorithm.algorithmParams;
    if (cipherName === undefined || !(ivField instanceof asn1js.OctetString) || eci.encryptedContent === undefined) fail();
    const cipher = CIPHERS[cipherName];
    const iv = octetsOf(ivField);
    if (iv.length !== cipher.ivBytes) fail();
    // Primitive or constructed (BER) [0]: pkijs has retagged it as an OCTET STRING.
    const ciphertext = new Uint8Array(eci.getEncryptedContent());
    const encryptedKey = octetsOf(ktri.encryptedKey);
    const algOid = ktri.keyEncryptionAlgorithm.algorithmId;
    let key: Buffer;
    if (algOid === OID_RSA_ENCRYPTION) key = pkcs1v15DecryptImplicit(recipient, encryptedKey, cipher.keyBytes);
    else if (algOid === OID_RSAES_OAEP) key = oaepDecrypt(recipient, encryptedKey, ktri.keyEncryptionAlgorithm.algorithmParams);
    else fail();
    if (key.length !== cipher.keyBytes) fail();
    const d = createDecipheriv(cipherName, key, iv);
    return new Uint8Array(Buffer.concat([d.update(ciphertext), d.final()]));
  } catch {
    // One error, no cause and no detail: an oracle of which step failed is what §7.2.2 warns of.
    throw new ScepError('ERR_SCEP_DECRYPT', DECRYPT_MESSAGE);
  }
}
