/**
 * Test support: a SCEP client (RFC 8894) built from the codec's own client functions, talking to
 * a real test CA over HTTP: GetCACert, then pkiMessages by GET (base64 in `message=`, as
 * certmonger sends them) or POST (DER body), and the CertRep checked against the pinned RA.
 */
import { execFileSync } from 'node:child_process';
import { type KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCsr, type DistinguishedName, generateKeyPair, parseCertificate } from '@certwizard/pki';
import {
  buildScepRequest,
  createTransientSigner,
  parseCaCertResponse,
  parseCertRep,
  type ScepDigest,
  type ScepMessageType,
  type ScepReply,
  type ScepSigner,
} from '@certwizard/scep';
import { fromBER, type Sequence } from 'asn1js';

/** One RSA-2048 key for the whole suite's requesters that need not differ (keygen is slow). */
export const SHARED_RSA = generateKeyPair('rsa2048');

/** DER of a PKCS #10 request's subject Name (CertificationRequestInfo's second field). */
export function subjectDerOfCsr(csrDer: Uint8Array): Uint8Array {
  const info = (fromBER(Buffer.from(csrDer)).result as Sequence).valueBlock.value[0] as Sequence;
  return new Uint8Array((info.valueBlock.value[1] as Sequence).toBER());
}

/** A requester: an RSA key, its CSR and a self-signed signer for the CSR's subject (RFC 8894 §2.3). */
export interface Requester {
  readonly privateKey: KeyObject;
  readonly csrDer: Uint8Array;
  readonly signer: ScepSigner;
  readonly transactionId: string;
}

/** A PKCSReq's requester for `dns` names (CN = the first), with `pin` as its challengePassword when given. */
export function requester(options: { dns: readonly string[]; pin?: string; subject?: DistinguishedName; privateKey?: KeyObject }): Requester {
  const privateKey = options.privateKey ?? SHARED_RSA.privateKey;
  const csr = createCsr({
    privateKey,
    subject: options.subject ?? [{ type: 'CN', value: options.dns[0] as string }],
    subjectAltNames: { dns: [...options.dns] },
    ...(options.pin !== undefined ? { challengePassword: options.pin } : {}),
  });
  const signer = createTransientSigner({ privateKey, subjectDer: subjectDerOfCsr(csr.der) });
  return { privateKey, csrDer: csr.der, signer, transactionId: randomBytes(20).toString('hex') };
}

/** A SCEP client of one CA URL (`{ca}/scep`, the alias, or a personal URL). */
export class ScepTestClient {
  readonly url: string;
  #ra: Uint8Array | undefined;
  #ca: Uint8Array | undefined;

  constructor(url: string) {
    this.url = url;
  }

  /** GetCACert: the RA and CA certificates (pinned for the CertReps that follow). */
  async caCerts(): Promise<{ raCertificateDer: Uint8Array; caCertificateDer: Uint8Array }> {
    const res = await fetch(`${this.url}?operation=GetCACert&message=0`);
    if (res.status !== 200) throw new Error(`GetCACert answered ${res.status}`);
    const parsed = parseCaCertResponse(new Uint8Array(await res.arrayBuffer()), res.headers.get('content-type') ?? '');
    this.#ra = parsed.raCertificateDer;
    this.#ca = parsed.caCertificateDer;
    return parsed;
  }

  /** The CA certificate's subject DER (for IssuerAndSerial / IssuerAndSubject). */
  async caSubjectDer(): Promise<Uint8Array> {
    if (this.#ca === undefined) await this.caCerts();
    return parseCertificate(this.#ca as Uint8Array).subjectDer;
  }

  /** Sends a pkiMessage and returns the raw HTTP answer (for refusal tests). */
  async raw(der: Uint8Array, method: 'GET' | 'POST' = 'GET'): Promise<Response> {
    if (method === 'POST') {
      return fetch(`${this.url}?operation=PKIOperation`, { method, headers: { 'content-type': 'application/x-pki-message' }, body: Buffer.from(der) });
    }
    return fetch(`${this.url}?operation=PKIOperation&message=${encodeURIComponent(Buffer.from(der).toString('base64'))}`);
  }

  /** Builds, sends and checks one request; the CertRep's reply. */
  async send(
    messageType: Exclude<ScepMessageType, 'CertRep'>,
    content: Uint8Array,
    from: { readonly signer: ScepSigner; readonly transactionId: string },
    options: { method?: 'GET' | 'POST'; digest?: ScepDigest } = {},
  ): Promise<ScepReply> {
    if (this.#ra === undefined) await this.caCerts();
    const { der, senderNonce } = buildScepRequest({
      messageType,
      transactionId: from.transactionId,
      content,
      recipientCertificateDer: this.#ra as Uint8Array,
      signer: from.signer,
      ...(options.digest ? { digest: options.digest } : {}),
    });
    const res = await this.raw(der, options.method);
    if (res.status !== 200) throw new Error(`PKIOperation answered ${res.status}: ${await res.text()}`);
    if (res.headers.get('content-type') !== 'application/x-pki-message') throw new Error(`PKIOperation answered ${res.headers.get('content-type')}`);
    return parseCertRep(new Uint8Array(await res.arrayBuffer()), {
      raCertificateDer: this.#ra as Uint8Array,
      transactionId: from.transactionId,
      senderNonce,
      recipient: from.signer,
    });
  }
}

/** `openssl verify -CAfile` of a certificate against the test CA's certificate: openssl's verdict, or it throws. */
export function opensslVerify(c: { readonly caCertPem: string }, certificateDer: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'scep-verify-'));
  try {
    writeFileSync(join(dir, 'ca.pem'), c.caCertPem);
    writeFileSync(join(dir, 'leaf.pem'), parseCertificate(certificateDer).pem);
    return execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'leaf.pem')], { encoding: 'utf8', timeout: 30_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
