/**
 * The HTTP file challenge: `http://<domain>/.well-known/certwizard-challenge/<token>` must
 * answer 200 with exactly the value the CA handed out (surrounding whitespace aside). After
 * ACME's http-01 (RFC 8555 §8.3, §10.2), with the rules ACME CAs apply against server-side
 * request forgery (docs/security.md, "Domain challenges"):
 *
 * - the CA resolves the name itself (A and AAAA, with the resolver of the DNS check) and refuses
 *   when any address is not globally reachable (`isPublicAddress`), unless the CA is configured
 *   to allow such addresses (tests, development);
 * - it connects to the address it resolved, never to the name (no second resolution that a
 *   rebinding DNS server could answer differently), and sends the domain as `Host`;
 * - port 80 only (configurable for tests, as pebble's `httpPort`), plain http, no credentials,
 *   no cookies, no proxy;
 * - at most {@link HTTP_CHECK_MAX_REDIRECTS_DEFAULT} redirects, each only to the same host and
 *   port over http (a relative path, or an absolute URL naming the same host): a redirect to
 *   another host or scheme is a failed check, never followed;
 * - a short timeout over the whole check, and a body limit: a file larger than
 *   {@link HTTP_CHECK_MAX_BODY_BYTES_DEFAULT} bytes is a failed check, read no further.
 *
 * The file's body must equal the expected value, not contain it: the value is not in the URL,
 * so a server that echoes the requested path (some error pages do) cannot pass for one that
 * serves the file.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Resolver } from 'node:dns/promises';
import { HTTP_CHALLENGE_PATH_PREFIX } from '@certwizard/protocol';
import type { ChallengeCheck, ChallengeCheckResult, ChallengeToCheck } from './challenge-check.js';
import { abortableLookup, createResolver, type DnsResolverOptions } from './dns-txt-check.js';
import { isPublicAddress } from './public-address.js';

/** The port of the HTTP check in production (RFC 8555 §8.3: port 80). */
export const HTTP_CHECK_PORT_DEFAULT = 80;

/** How long the whole check may take by default, in ms (lookup, connection, redirects, body). */
export const HTTP_CHECK_TIMEOUT_MS_DEFAULT = 10_000;

/** The largest body read by default, in bytes: the value is 43 characters, a newline at most follows. */
export const HTTP_CHECK_MAX_BODY_BYTES_DEFAULT = 1024;

/** Redirects followed by default, each on the same host. */
export const HTTP_CHECK_MAX_REDIRECTS_DEFAULT = 2;

/** Options of {@link HttpFileCheck}. */
export interface HttpFileCheckOptions extends DnsResolverOptions {
  /** Port to connect to; default {@link HTTP_CHECK_PORT_DEFAULT}. Tests only: production checks port 80. */
  readonly port?: number;
  /**
   * Connect to loopback, private, link-local and other addresses that are not globally
   * reachable. Default false; tests and development only.
   */
  readonly allowPrivateAddresses?: boolean;
  /** The whole check's time limit, in ms; default {@link HTTP_CHECK_TIMEOUT_MS_DEFAULT}. */
  readonly timeoutMs?: number;
  /** Body limit, in bytes; default {@link HTTP_CHECK_MAX_BODY_BYTES_DEFAULT}. */
  readonly maxBodyBytes?: number;
  /** Redirects followed on the same host; default {@link HTTP_CHECK_MAX_REDIRECTS_DEFAULT}. */
  readonly maxRedirects?: number;
}

/** A failed check, carried out of the helpers as an exception and turned into a result at the top. */
class NotFound extends Error {}

/**
 * The HTTP file check.
 * @example
 * const http = new HttpFileCheck({ servers: ['127.0.0.1:8053'], port: 5002, allowPrivateAddresses: true });
 * await http.check({ domain: 'example.org', token, expected }); // { ok: true }
 */
export class HttpFileCheck implements ChallengeCheck {
  readonly #resolver: Resolver;
  readonly #port: number;
  readonly #allowPrivate: boolean;
  readonly #timeoutMs: number;
  readonly #maxBodyBytes: number;
  readonly #maxRedirects: number;

  /** @throws {TypeError} for a port outside 1..65535 or a non-positive limit. */
  constructor(options: HttpFileCheckOptions = {}) {
    this.#resolver = createResolver(options);
    this.#port = options.port ?? HTTP_CHECK_PORT_DEFAULT;
    if (!Number.isInteger(this.#port) || this.#port < 1 || this.#port > 65535) throw new TypeError('port must be 1 to 65535');
    this.#allowPrivate = options.allowPrivateAddresses === true;
    this.#timeoutMs = options.timeoutMs ?? HTTP_CHECK_TIMEOUT_MS_DEFAULT;
    this.#maxBodyBytes = options.maxBodyBytes ?? HTTP_CHECK_MAX_BODY_BYTES_DEFAULT;
    this.#maxRedirects = options.maxRedirects ?? HTTP_CHECK_MAX_REDIRECTS_DEFAULT;
    for (const [name, value] of [
      ['timeoutMs', this.#timeoutMs],
      ['maxBodyBytes', this.#maxBodyBytes],
    ] as const) {
      if (!Number.isInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer`);
    }
    if (!Number.isInteger(this.#maxRedirects) || this.#maxRedirects < 0) throw new TypeError('maxRedirects must be 0 or more');
  }

  /**
   * Fetches the file and compares it with the expected value.
   * @throws the abort reason when `options.signal` aborts; every other failure is a result.
   * @example
   * const { ok } = await http.check(challenge, { signal });
   */
  async check(challenge: ChallengeToCheck, options: { readonly signal?: AbortSignal } = {}): Promise<ChallengeCheckResult> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    try {
      const address = await this.#resolve(challenge.domain, signal);
      let path = `${HTTP_CHALLENGE_PATH_PREFIX}${challenge.token}`;
      for (let redirects = 0; ; redirects++) {
        const answer = await this.#get(address, challenge.domain, path, signal);
        if (answer.location === undefined) {
          if (answer.status !== 200) throw new NotFound(`the file answered HTTP ${answer.status}`);
          return answer.body.trim() === challenge.expected ? { ok: true } : { ok: false, problem: 'the file does not hold the expected value' };
        }
        if (redirects >= this.#maxRedirects) throw new NotFound(`more than ${this.#maxRedirects} redirects`);
        path = this.#sameHostPath(answer.location, challenge.domain, path);
      }
    } catch (err) {
      options.signal?.throwIfAborted();
      if (err instanceof NotFound) return { ok: false, problem: err.message };
      if (timeout.aborted) return { ok: false, problem: `no complete answer within ${this.#timeoutMs} ms` };
      const code = (err as { code?: string }).code ?? 'an error';
      return { ok: false, problem: `the connection failed (${code})` };
    }
  }

  /** The address to connect to: the first of A then AAAA, once every address passed the filter. */
  async #resolve(domain: string, signal: AbortSignal): Promise<string> {
    const settle = (lookup: () => Promise<string[]>) => abortableLookup(this.#resolver, lookup, signal).catch(() => [] as string[]);
    const addresses = [...(await settle(() => this.#resolver.resolve4(domain))), ...(await settle(() => this.#resolver.resolve6(domain)))];
    signal.throwIfAborted();
    if (addresses.length === 0) throw new NotFound(`${domain} has no A or AAAA record`);
    // Any address a requester could have the CA reach inside its own network refuses the check:
    // picking the public one would leave the choice to a DNS server the requester runs.
    const refused = addresses.find((a) => !isPublicAddress(a));
    if (refused !== undefined && !this.#allowPrivate) throw new NotFound(`${domain} resolves to ${refused}, which is not a public address`);
    return addresses[0] as string;
  }

  #get(address: string, domain: string, path: string, signal: AbortSignal): Promise<{ status: number; location?: string; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: address,
          port: this.#port,
          path,
          method: 'GET',
          // No agent: no pooled connection to another name, no proxy from the environment.
          agent: false,
          headers: { host: domain, accept: '*/*', 'user-agent': 'certwizard-ca domain check' },
          signal,
        },
        (res) => void readAnswer(res, this.#maxBodyBytes).then(resolve, reject),
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** The path of a redirect to the same host over http; anything else fails the check. */
  #sameHostPath(location: string, domain: string, from: string): string {
    let target: URL;
    try {
      target = new URL(location, `http://${domain}${from}`);
    } catch {
      throw new NotFound('a redirect to something that is not a URL');
    }
    const samePort = target.port === '' || Number(target.port) === this.#port;
    if (target.protocol !== 'http:' || target.hostname !== domain || !samePort || target.username !== '' || target.password !== '') {
      throw new NotFound(`a redirect to another host or scheme (${target.protocol}//${target.host}) is not followed`);
    }
    return `${target.pathname}${target.search}`;
  }
}

async function readAnswer(res: IncomingMessage, maxBodyBytes: number): Promise<{ status: number; location?: string; body: string }> {
  const status = res.statusCode ?? 0;
  if ([301, 302, 303, 307, 308].includes(status)) {
    res.resume();
    const location = res.headers.location;
    if (location === undefined) throw new NotFound(`a redirect (HTTP ${status}) without a Location`);
    return { status, location, body: '' };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) {
      res.destroy();
      throw new NotFound(`the file is larger than ${maxBodyBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return { status, body: Buffer.concat(chunks).toString('utf8') };
}
