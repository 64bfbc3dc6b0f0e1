/**
 * The SCEP endpoint (RFC 8894): `/scep`, its alias `/cgi-bin/pkiclient.exe` (many clients'
 * default path), and the personal URLs `/scep/u/:handle`, each answering GET and POST. Thin:
 * decodes the HTTP message (§4.1) and the pkiMessage (through `@certwizard/scep`), verifies and
 * decrypts with the RA identity, calls the SCEP service (ca/scep-service.ts), and encodes its
 * answer as a CertRep signed by the RA.
 *
 * What cannot be answered with a CertRep (no transactionID or signer known: an unknown
 * operation, bad base64, a wrong content type, a message that does not parse or whose signature
 * does not verify) is HTTP 400, plain text, and stores nothing. Every envelope failure, whatever
 * its cause (another recipient, bad padding, bad cipher), is one answer: CertRep FAILURE
 * badMessageCheck, after the same work, so the RA is no padding oracle.
 */
import {
  buildCertRep,
  buildCertsOnly,
  decryptEnvelope,
  formatCaCaps,
  parseIssuerAndSerial,
  parseScepRequest,
  SCEP_MAX_MESSAGE_BYTES,
  ScepError,
  type ScepReply,
  type ScepRequest,
  type ScepSigner,
} from '@certwizard/scep';
import { X509Certificate } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { ScepAnswer, ScepCaller, ScepService } from '../../ca/scep-service.js';
import type { Logger } from '../../log.js';

/** What the SCEP endpoint needs. */
export interface ScepContext {
  readonly scep: ScepService;
  /** The RA identity: signs every CertRep and decrypts every envelope (the CA key never sees network input). */
  readonly ra: ScepSigner;
  /** The CA certificate, DER (after the RA in GetCACert). */
  readonly caCertificateDer: Uint8Array;
  /** The personal URLs' handles; without it `/scep/u/:handle` answers 404. */
  readonly handles?: { accountOfHandle(handle: string): Promise<number | undefined> };
  readonly logger: Logger;
  /** Clock in ms since the epoch (the signingTime check). Default `Date.now`. */
  readonly now?: () => number;
}

/** RFC 8894 §3.5.2: what GetCACaps advertises, exactly what this endpoint does. */
export const SCEP_CA_CAPS = ['POSTPKIOperation', 'SHA-256', 'SHA-512', 'AES', 'SCEPStandard', 'Renewal'] as const;

/** How far a request's signingTime may be from the CA's clock before it is answered badTime (RFC 8894 §3.2.1.4), in ms. */
export const SCEP_SIGNING_TIME_SKEW_MS = 24 * 60 * 60_000;

/** Longest `message=` value: the base64 of {@link SCEP_MAX_MESSAGE_BYTES}, URL-encoding aside. */
const MAX_BASE64_CHARS = Math.ceil(SCEP_MAX_MESSAGE_BYTES / 3) * 4;

/** The three paths of the endpoint. */
export const SCEP_PATHS = ['/scep', '/cgi-bin/pkiclient.exe', '/scep/u/:handle'] as const;

/** A request the endpoint answers with HTTP 400 before any CA logic runs. */
class ScepHttpRefusal extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

/**
 * Builds the router of the SCEP endpoint.
 * @example
 * app.use(scepRoutes({ scep, ra, caCertificateDer, handles, logger }));
 */
export function scepRoutes(ctx: ScepContext): Router {
  const router = express.Router();
  const now = ctx.now ?? Date.now;
  for (const path of SCEP_PATHS) {
    router.all(path, async (req: Request, res: Response) => {
      try {
        if (req.method !== 'GET' && req.method !== 'POST') {
          res.setHeader('Allow', 'GET, POST');
          throw new ScepHttpRefusal('use GET or POST (RFC 8894 §4.1)', 405);
        }
        const accountId = await personalAccount(ctx, req);
        await answer(ctx, req, res, accountId, now);
      } catch (err) {
        if (!(err instanceof ScepHttpRefusal)) throw err;
        if (req.method === 'POST') req.resume();
        res.status(err.status).type('text/plain').send(`${err.message}\n`);
      }
    });
  }
  return router;
}

/** The account of a personal URL (`undefined` for `/scep` and its alias). */
async function personalAccount(ctx: ScepContext, req: Request): Promise<number | undefined> {
  const handle: unknown = req.params.handle;
  if (handle === undefined) return undefined;
  const accountId = typeof handle === 'string' && /^[A-Za-z0-9_-]{22,64}$/.test(handle) ? await ctx.handles?.accountOfHandle(handle) : undefined;
  if (accountId === undefined) throw new ScepHttpRefusal('no such SCEP URL', 404);
  return accountId;
}

async function answer(ctx: ScepContext, req: Request, res: Response, accountId: number | undefined, now: () => number): Promise<void> {
  const query = new URL(req.originalUrl, 'http://scep.invalid').searchParams;
  const operations = query.getAll('operation');
  if (operations.length !== 1) throw new ScepHttpRefusal('name exactly one operation: GetCACaps, GetCACert, GetNextCACert or PKIOperation');
  switch (operations[0]) {
    // RFC 8894 §3.5.2 / §4.1: the capabilities, one a line.
    case 'GetCACaps':
      res.status(200).type('text/plain').send(formatCaCaps(SCEP_CA_CAPS));
      return;
    // RFC 8894 §4.2: the RA and the CA as a degenerate certs-only SignedData. certmonger walks
    // the chain with message=0, 1, ...: every value gets the whole set, which ends its walk.
    case 'GetCACert':
      res
        .status(200)
        .type('application/x-x509-ca-ra-cert')
        .send(Buffer.from(buildCertsOnly([ctx.ra.certificateDer, ctx.caCertificateDer])));
      return;
    // RFC 8894 §4.6: this CA has no rollover certificate (and does not advertise GetNextCACert).
    case 'GetNextCACert':
      throw new ScepHttpRefusal('this CA has no rollover certificate', 404);
    // RFC 8894 §4.3: the pkiMessage, base64 in message= (GET) or DER as the body (POST).
    case 'PKIOperation': {
      const der = req.method === 'GET' ? messageOfQuery(query) : await messageOfBody(req);
      const certRep = await pkiOperation(ctx, der, accountId, now);
      res.status(200).type('application/x-pki-message').send(Buffer.from(certRep));
      return;
    }
    default:
      throw new ScepHttpRefusal('unknown operation: use GetCACaps, GetCACert, GetNextCACert or PKIOperation');
  }
}

/** The DER of a GET's `message=`, bounded before it is decoded. */
function messageOfQuery(query: URLSearchParams): Uint8Array {
  const messages = query.getAll('message');
  if (messages.length !== 1) throw new ScepHttpRefusal('PKIOperation by GET carries the message as one message= parameter');
  // A '+' a client did not URL-encode arrives as a space; base64 has no spaces otherwise.
  const base64 = (messages[0] as string).replace(/ /g, '+').replace(/[\r\n]/g, '');
  if (base64.length > MAX_BASE64_CHARS) throw new ScepHttpRefusal(`the message is over the limit of ${SCEP_MAX_MESSAGE_BYTES} bytes`);
  if (base64.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) throw new ScepHttpRefusal('the message is not base64');
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

/** The DER body of a POST, `application/x-pki-message`, bounded while it is read. */
async function messageOfBody(req: Request): Promise<Uint8Array> {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType !== 'application/x-pki-message') throw new ScepHttpRefusal('send the message as application/x-pki-message (RFC 8894 §4.3)');
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > SCEP_MAX_MESSAGE_BYTES) throw new ScepHttpRefusal(`the message is over the limit of ${SCEP_MAX_MESSAGE_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > SCEP_MAX_MESSAGE_BYTES) throw new ScepHttpRefusal(`the message is over the limit of ${SCEP_MAX_MESSAGE_BYTES} bytes`);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks, size));
}

/** RFC 8894 §3.3: verifies, decrypts, asks the SCEP service, and signs its answer as a CertRep. */
async function pkiOperation(ctx: ScepContext, der: Uint8Array, accountId: number | undefined, now: () => number): Promise<Uint8Array> {
  let request: ScepRequest;
  try {
    request = parseScepRequest(der);
  } catch (err) {
    // No verified transactionID or signer to answer to: plain HTTP 400, with the codec's code.
    if (err instanceof ScepError) throw new ScepHttpRefusal(`the message is refused (${err.code})`);
    throw err;
  }
  const reply = await replyTo(ctx, request, accountId, now);
  return buildCertRep({
    reply,
    transactionId: request.transactionId,
    recipientNonce: request.senderNonce,
    signer: ctx.ra,
    recipientCertificateDer: request.signerCertificateDer,
    digest: request.digest === 'sha512' ? 'sha512' : 'sha256',
  });
}

async function replyTo(ctx: ScepContext, request: ScepRequest, accountId: number | undefined, now: () => number): Promise<ScepReply> {
  const fail = (failInfo: Extract<ScepAnswer, { status: 'FAILURE' }>['failInfo']): ScepReply => ({ status: 'FAILURE', failInfo });
  // The CertRep is encrypted to the signer's key by key transport: RSA only.
  if (keyTypeOf(request.signerCertificateDer) !== 'rsa') return fail('badAlg');
  if (request.signingTime !== undefined && Math.abs(request.signingTime.getTime() - now()) > SCEP_SIGNING_TIME_SKEW_MS) return fail('badTime');
  let content: Uint8Array;
  try {
    content = decryptEnvelope(request.envelopeDer, ctx.ra);
  } catch (err) {
    // One answer for every envelope failure (ERR_SCEP_DECRYPT is badMessageCheck): no detail.
    if (err instanceof ScepError) return fail(err.failInfo);
    throw err;
  }
  const caller: ScepCaller = {
    transactionId: request.transactionId,
    signerCertificateDer: request.signerCertificateDer,
    ...(accountId !== undefined ? { accountId } : {}),
  };
  try {
    switch (request.messageType) {
      case 'PKCSReq':
        return await ctx.scep.pkcsReq(caller, content);
      case 'RenewalReq':
        return await ctx.scep.renewalReq(caller, content);
      case 'CertPoll':
        return await ctx.scep.certPoll(caller);
      case 'GetCert':
        return await ctx.scep.getCert(parseIssuerAndSerial(content));
      case 'GetCRL':
        return await ctx.scep.getCrl(parseIssuerAndSerial(content));
    }
  } catch (err) {
    if (err instanceof ScepError) return fail(err.failInfo);
    throw err;
  }
}

/** The key type of a certificate's public key (`rsa`, `ec`, ...), or `undefined` when it does not parse. */
function keyTypeOf(certificateDer: Uint8Array): string | undefined {
  try {
    return new X509Certificate(Buffer.from(certificateDer)).publicKey.asymmetricKeyType;
  } catch {
    return undefined;
  }
}
