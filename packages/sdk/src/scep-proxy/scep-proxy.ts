/**
 * The "SCEP to CAcert proxy" (issue 15, SDK part): a SCEP server (RFC 8894) on the local network
 * for devices that speak only SCEP. It answers GetCACaps and GetCACert itself, takes a device's
 * PKCSReq, decrypts the CSR with its own RA key, and forwards the CSR over the CA's authenticated
 * CAcert-style API with this machine's installation token (the cacert method's submit and poll),
 * so that the owner approves it on the account page like any request of the installation. The
 * device's CertPoll asks the CA for the request's status and gets the certificate once approved.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { decodePemAll, parseCertificate, parseCsr, type Certificate } from '@certwizard/pki';
import {
  buildCertRep,
  buildCertsOnly,
  decryptEnvelope,
  formatCaCaps,
  parseScepRequest,
  SCEP_MAX_MESSAGE_BYTES,
  ScepError,
  type ScepReply,
  type ScepRequest,
  type ScepSigner,
} from '@certwizard/scep';
import type { CredentialStore } from '../credentials/credential-store.js';
import type { SubmitResult } from '../enroll/enrollment-method.js';
import { ScepCaUntrustedError } from '../methods/scep/errors.js';
import { cacertMethod } from '../methods/cacert/cacert-method.js';
import { installationTokenKey } from '../methods/cacert/credential-keys.js';
import { ProxyQueue } from './proxy-queue.js';
import { loadOrCreateRaIdentity, writeAtomically } from './ra-identity.js';
import { ScepProxyError } from './errors.js';

/** File name of the pinned CA certificate in the state directory. */
export const PINNED_CA_FILE = 'ca.cert.pem';

/** Paths the proxy answers SCEP on: `/scep` and the usual client default. */
export const SCEP_PROXY_PATHS: readonly string[] = ['/scep', '/cgi-bin/pkiclient.exe'];

/**
 * GetCACaps (RFC 8894 §3.5.2): exactly what the proxy does. No Renewal (a RenewalReq is refused:
 * the device enrolls anew and the owner approves again), no GetNextCACert, no SHA-1.
 */
export const SCEP_PROXY_CAPABILITIES: readonly string[] = ['POSTPKIOperation', 'SHA-256', 'SHA-512', 'AES', 'SCEPStandard'];

/** What the proxy reports as it works (never a secret: no token, no CSR content). */
export type ScepProxyEvent =
  | { readonly type: 'listening'; readonly url: string; readonly loopback: boolean }
  | { readonly type: 'forwarded'; readonly transactionId: string; readonly requestId: string; readonly status: SubmitResult['status'] }
  | { readonly type: 'polled'; readonly transactionId: string; readonly requestId: string; readonly status: SubmitResult['status'] }
  | { readonly type: 'refused'; readonly reason: string }
  | { readonly type: 'ca-failed'; readonly transactionId: string; readonly message: string };

/** Options of {@link startScepProxy}. */
export interface ScepProxyOptions {
  /** The CA's base URL (https, or http on loopback), the one the installation token belongs to. */
  readonly caUrl: string;
  /** The credential store holding this installation's token for the CA (the cacert method's). */
  readonly credentials: CredentialStore;
  /** Where the RA identity, the pinned CA certificate and the queue live (made 0700). */
  readonly stateDir: string;
  /** Address to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port. Default 0 (any free port; read it from {@link ScepProxy.url}). */
  readonly port?: number;
  /**
   * Must be true to listen on anything but loopback: then anyone on that network can queue
   * requests (each still waits for the owner's approval).
   */
  readonly allowNonLoopback?: boolean;
  /**
   * The CA certificate's SHA-256 fingerprint (hex, colons allowed) as the vendor or operator knows
   * it. Without it the certificate fetched on first start is trusted and pinned (later starts use
   * the pinned one).
   */
  readonly caFingerprintSha256?: string;
  /** Most transactions queued at once. Default 1000. */
  readonly maxQueueEntries?: number;
  /** Queued transactions are forgotten after this long, in ms. Default 30 days. */
  readonly maxQueueAgeMs?: number;
  /** The `fetch` to reach the CA with (default: the global one). */
  readonly fetch?: typeof fetch;
  /** Told of what the proxy does. */
  readonly onEvent?: (event: ScepProxyEvent) => void;
  /** Stops the proxy (as {@link ScepProxy.close}). */
  readonly signal?: AbortSignal;
}

/** A running proxy. */
export interface ScepProxy {
  /** The SCEP URL for devices, e.g. `http://127.0.0.1:8080/scep`. */
  readonly url: string;
  /** The proxy's RA certificate, PEM (GetCACert hands it out first). */
  readonly raCertificatePem: string;
  /** The CA certificate it pinned, PEM. */
  readonly caCertificatePem: string;
  /** SHA-256 fingerprints (lower-case hex) a device's operator compares. */
  readonly fingerprints: { readonly raSha256: string; readonly caSha256: string };
  /** Stops listening and waits for the requests under way. */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

/**
 * Starts the SCEP proxy: makes or loads its RA identity and the pinned CA certificate in
 * `stateDir`, checks that the installation token is there, and listens.
 *
 * @throws {ScepProxyError} `ERR_SDK_SCEP_PROXY` without an installation token for the CA, for a
 *   non-loopback address without `allowNonLoopback`, or an unusable state directory.
 * @throws {ScepCaUntrustedError} `ERR_SDK_SCEP_CA_UNTRUSTED` when the CA certificate does not match
 *   `caFingerprintSha256` or the certificate pinned before.
 * @example
 * const proxy = await startScepProxy({ caUrl: 'https://ca.example', credentials, stateDir, port: 8080, signal });
 * console.log(proxy.url, proxy.fingerprints);
 */
export async function startScepProxy(options: ScepProxyOptions): Promise<ScepProxy> {
  const { caUrl, credentials, stateDir, signal } = options;
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopback(host);
  if (!loopback && options.allowNonLoopback !== true)
    throw new ScepProxyError(
      `the SCEP proxy listens on loopback unless told otherwise: on ${host} anyone on that network can queue certificate requests; allow it explicitly`,
    );
  const caOrigin = new URL(caUrl).origin;
  if ((await credentials.get(installationTokenKey(caOrigin), signal === undefined ? {} : { signal })) === undefined)
    throw new ScepProxyError(`no installation token for ${caOrigin} in the credential store: enroll once with the cacert method (certwizard enroll) first`);
  const fetchImpl = options.fetch ?? fetch;
  const ra = await loadOrCreateRaIdentity(stateDir, signal === undefined ? {} : { signal });
  const caCertificate = await pinnedCaCertificate(stateDir, caUrl, options.caFingerprintSha256, ra.raCertificate, fetchImpl, signal);
  const queue = new ProxyQueue(stateDir, { maxEntries: options.maxQueueEntries ?? 1000, maxAgeMs: options.maxQueueAgeMs ?? 30 * DAY_MS }, Date.now());
  const signer: ScepSigner = { certificateDer: ra.raCertificate.der, privateKey: ra.raPrivateKey };
  const method = cacertMethod({ caUrl });
  const poll = method.poll;
  // The cacert method always has poll; the type makes it optional for methods in general.
  if (poll === undefined) throw new ScepProxyError('the cacert method cannot poll');
  const emit = options.onEvent ?? (() => undefined);
  const stop = new AbortController();
  const context = () => ({ credentials, signal: stop.signal, fetch: fetchImpl });

  /** The CA's answer as a CertRep reply; the certificates come issued one first, then its chain. */
  const replyOf = (result: SubmitResult): ScepReply => {
    if (result.status === 'pending') return { status: 'PENDING' };
    if (result.status === 'rejected') return { status: 'FAILURE', failInfo: 'badRequest' };
    const certificatesDer = decodePemAll(`${result.certificatePem}\n${result.chainPem}`, 'CERTIFICATE');
    return { status: 'SUCCESS', certificatesDer };
  };

  // RFC 8894 §3.3.1 PKCSReq: the CSR is decrypted with the RA key and forwarded; the CA's
  // pending answer is queued under the device's transactionID for its CertPoll.
  const pkcsReq = async (request: ScepRequest): Promise<ScepReply> => {
    const queued = queue.get(request.transactionId);
    if (queued !== undefined)
      return sameRequester(queued.signerKeySha256, request) ? pollCa(request.transactionId, queued.requestId) : badRequest('transaction of another key');
    let csrPem: string;
    try {
      csrPem = parseCsr(decryptEnvelope(request.envelopeDer, signer)).pem;
    } catch (error: unknown) {
      if (error instanceof ScepError) return { status: 'FAILURE', failInfo: error.failInfo };
      return badRequest('not a certificate request');
    }
    if (!queue.hasRoom(Date.now())) return badRequest('queue full');
    const result = await method.submit({ csrPem }, context());
    emit({
      type: 'forwarded',
      transactionId: request.transactionId,
      requestId: result.status === 'rejected' ? '' : (result.requestId ?? ''),
      status: result.status,
    });
    if (result.status === 'pending')
      queue.add({ transactionId: request.transactionId, requestId: result.requestId, createdAtMs: Date.now(), signerKeySha256: keyHashOf(request) });
    return replyOf(result);
  };

  // RFC 8894 §3.3.3 CertPoll (GetCertInitial): found by the transactionID, asked of the CA.
  const certPoll = (request: ScepRequest): Promise<ScepReply> | ScepReply => {
    const queued = queue.get(request.transactionId);
    if (queued === undefined) return badRequest('unknown transaction');
    if (!sameRequester(queued.signerKeySha256, request)) return badRequest('transaction of another key');
    return pollCa(request.transactionId, queued.requestId);
  };

  const pollCa = async (transactionId: string, requestId: string): Promise<ScepReply> => {
    const result = await poll({ status: 'pending', requestId }, context());
    emit({ type: 'polled', transactionId, requestId, status: result.status });
    return replyOf(result);
  };

  const badRequest = (reason: string): ScepReply => {
    emit({ type: 'refused', reason });
    return { status: 'FAILURE', failInfo: 'badRequest' };
  };

  // RFC 8894 §3.3: one pkiMessage in, one CertRep out, signed by the RA and encrypted to the
  // device's signer certificate. A message too broken to answer with a CertRep (no transactionID,
  // no verified signer) gets 400.
  const pkiOperation = async (der: Uint8Array, response: ServerResponse): Promise<void> => {
    let request: ScepRequest;
    try {
      request = parseScepRequest(der);
    } catch (error: unknown) {
      emit({ type: 'refused', reason: error instanceof ScepError ? error.code : 'unparsable' });
      return plain(response, 400, 'not a SCEP pkiMessage this proxy can verify\n');
    }
    let reply: ScepReply;
    try {
      if (request.messageType === 'PKCSReq') reply = await pkcsReq(request);
      else if (request.messageType === 'CertPoll') reply = await certPoll(request);
      // RenewalReq, GetCert, GetCRL: not offered through the proxy (docs/scep.md).
      else reply = badRequest(`${request.messageType} not offered by the proxy`);
    } catch (error: unknown) {
      // The CA is unreachable or answered something unexpected: nothing decided, the device
      // sends again later. The message carries no token (the SDK's errors never do).
      emit({ type: 'ca-failed', transactionId: request.transactionId, message: error instanceof Error ? error.message : String(error) });
      response.setHeader('retry-after', '60');
      return plain(response, 503, 'the CA could not be reached; try again later\n');
    }
    const body = buildCertRep({
      reply,
      transactionId: request.transactionId,
      recipientNonce: request.senderNonce,
      signer,
      recipientCertificateDer: request.signerCertificateDer,
      digest: request.digest === 'sha1' ? 'sha256' : request.digest,
    });
    send(response, 200, 'application/x-pki-message', body);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://proxy.invalid');
    if (!SCEP_PROXY_PATHS.includes(url.pathname)) return plain(response, 404, 'not found\n');
    const operation = url.searchParams.get('operation');
    if (request.method === 'GET') {
      switch (operation) {
        // §3.5.1 / §4.1
        case 'GetCACaps':
          return send(response, 200, 'text/plain', Buffer.from(formatCaCaps(SCEP_PROXY_CAPABILITIES)));
        // §4.2: RA first, then the proxy's local CA that issued it, then the CA the device's
        // certificate will chain to. certmonger checks the CertRep's signer against the first CA
        // certificate of this answer, so the local CA comes before the real one (tested).
        case 'GetCACert':
          return send(response, 200, 'application/x-x509-ca-ra-cert', buildCertsOnly([ra.raCertificate.der, ra.localCaCertificate.der, caCertificate.der]));
        // §4.3 with GET: base64 in `message`.
        case 'PKIOperation': {
          const message = url.searchParams.get('message');
          // URLSearchParams turns an unencoded '+' into a space; base64 has no spaces.
          const der = message === null ? undefined : decodeBase64(message.replaceAll(' ', '+'));
          if (der === undefined) return plain(response, 400, 'message must be base64\n');
          if (der.length > SCEP_MAX_MESSAGE_BYTES) return plain(response, 413, 'message too large\n');
          return pkiOperation(der, response);
        }
        default:
          return plain(response, 400, 'unknown operation\n');
      }
    }
    if (request.method === 'POST' && operation === 'PKIOperation') {
      const der = await readBody(request, SCEP_MAX_MESSAGE_BYTES);
      if (der === undefined) return plain(response, 413, 'message too large\n');
      return pkiOperation(der, response);
    }
    response.setHeader('allow', 'GET, POST');
    return plain(response, 405, 'method not allowed\n');
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      emit({ type: 'refused', reason: error instanceof Error ? error.name : 'error' });
      if (!response.headersSent) plain(response, 500, 'internal error\n');
      else response.destroy();
    });
  });
  // Bounded: the URL of a GET PKIOperation (base64 of 64 KiB) fits, nothing much larger does.
  server.maxHeadersCount = 50;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new ScepProxyError('the SCEP proxy has no TCP address');
  const shownHost = isIP(address.address) === 6 ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}/scep`;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= new Promise<void>((resolve) => {
      stop.abort(new Error('the SCEP proxy is closing'));
      server.close(() => resolve());
      server.closeIdleConnections();
    }));
  signal?.addEventListener('abort', () => void close(), { once: true });
  if (signal?.aborted === true) await close();
  emit({ type: 'listening', url, loopback });
  return {
    url,
    raCertificatePem: ra.raCertificate.pem,
    caCertificatePem: caCertificate.pem,
    fingerprints: { raSha256: ra.raCertificate.fingerprintSha256, caSha256: caCertificate.fingerprintSha256 },
    close,
  };
}

/** Whether `host` is a loopback address (or `localhost`). */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** SHA-256 of the device key that signed a request: only that key may poll its transaction. */
function keyHashOf(request: ScepRequest): string {
  return createHash('sha256').update(parseCertificate(request.signerCertificateDer).publicKeyDer).digest('hex');
}

function sameRequester(expected: string, request: ScepRequest): boolean {
  return keyHashOf(request) === expected;
}

/**
 * The CA certificate devices are told about: the pinned one, or on first start `GET /ca.pem`
 * (docs/protocol.md) checked against the given fingerprint and pinned.
 */
async function pinnedCaCertificate(
  stateDir: string,
  caUrl: string,
  expected: string | undefined,
  raCertificate: Certificate,
  fetchImpl: typeof fetch,
  signal: AbortSignal | undefined,
): Promise<Certificate> {
  const path = join(stateDir, PINNED_CA_FILE);
  const want = expected?.replaceAll(':', '').toLowerCase();
  const untrusted = (certificate: Certificate, why: string) =>
    new ScepCaUntrustedError(`the CA certificate (SHA-256 ${certificate.fingerprintSha256}) ${why}`, {
      caSha256: certificate.fingerprintSha256,
      raSha256: raCertificate.fingerprintSha256,
    });
  let pinnedText: string | undefined;
  try {
    pinnedText = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (pinnedText !== undefined) {
    const pinned = parseCertificate(pinnedText);
    if (want !== undefined && pinned.fingerprintSha256 !== want) throw untrusted(pinned, `pinned in ${path} is not the expected ${want}`);
    return pinned;
  }
  // A GET that sends no credentials; no redirect is followed all the same.
  const answer = await fetchImpl(new URL('ca.pem', caUrl.endsWith('/') ? caUrl : `${caUrl}/`), {
    redirect: 'error',
    ...(signal === undefined ? {} : { signal }),
  });
  const text = await answer.text();
  if (!answer.ok) throw new ScepProxyError(`GET /ca.pem answered ${answer.status}: cannot learn the CA certificate`);
  const certificate = parseCertificate(text);
  if (want !== undefined && certificate.fingerprintSha256 !== want) throw untrusted(certificate, `is not the expected ${want}`);
  writeAtomically(path, certificate.pem, 0o644);
  return certificate;
}

function decodeBase64(text: string): Uint8Array | undefined {
  if (text === '' || !/^[A-Za-z0-9+/\r\n]+={0,2}$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** The body, or `undefined` once it passes `limit` bytes (the rest is not read). */
async function readBody(request: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function send(response: ServerResponse, status: number, contentType: string, body: Uint8Array): void {
  response.writeHead(status, { 'content-type': contentType, 'content-length': body.length, 'cache-control': 'no-store' });
  response.end(body);
}

function plain(response: ServerResponse, status: number, text: string): void {
  send(response, status, 'text/plain; charset=utf-8', Buffer.from(text));
}
