/**
 * The DNS TXT challenge: the record `_certwizard-challenge.<domain>` must hold the value the CA
 * handed out. After ACME's dns-01 (RFC 8555 §8.4): the CA asks its own resolver (the system's,
 * or the servers configured with `--dns-resolver`), a record's character-strings are joined
 * into one value (RFC 7208 §3.3 does the same for SPF), and the value must equal the expected
 * one exactly: among several records any one may match, but never a substring of one.
 */
import { Resolver } from 'node:dns/promises';
import { dnsChallengeName } from '@certwizard/protocol';
import type { ChallengeCheck, ChallengeCheckResult, ChallengeToCheck } from './challenge-check.js';

/** How long one lookup may take by default, in ms. */
export const DNS_CHECK_TIMEOUT_MS_DEFAULT = 5000;

/** Options of {@link DnsTxtCheck} and of the resolver the HTTP check shares. */
export interface DnsResolverOptions {
  /**
   * Resolvers to ask, `HOST` or `HOST:PORT` (IPv6 in brackets with a port), as
   * `Resolver#setServers` takes them; default the system's (`/etc/resolv.conf`).
   */
  readonly servers?: readonly string[];
  /** Time for one query before it is retried or fails, in ms; default {@link DNS_CHECK_TIMEOUT_MS_DEFAULT}. */
  readonly timeoutMs?: number;
}

/**
 * Makes a resolver with the given servers, one try per query (the check is asked for again by
 * the requester; the CA does not hammer a slow server).
 * @example
 * const resolver = createResolver({ servers: ['127.0.0.1:8053'] });
 */
export function createResolver(options: DnsResolverOptions = {}): Resolver {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? DNS_CHECK_TIMEOUT_MS_DEFAULT, tries: 1 });
  if (options.servers !== undefined && options.servers.length > 0) resolver.setServers([...options.servers]);
  return resolver;
}

/**
 * Runs a lookup that stops when `signal` aborts (the resolver's queries are cancelled).
 * @throws the abort reason when `signal` aborts.
 */
export async function abortableLookup<T>(resolver: Resolver, lookup: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  signal?.throwIfAborted();
  if (signal === undefined) return lookup();
  const onAbort = () => resolver.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await lookup();
  } catch (err) {
    signal.throwIfAborted();
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * The DNS TXT check.
 * @example
 * const dns = new DnsTxtCheck({ servers: ['127.0.0.1:8053'] });
 * await dns.check({ domain: 'example.org', token, expected }); // { ok: true }
 */
export class DnsTxtCheck implements ChallengeCheck {
  readonly #resolver: Resolver;

  constructor(options: DnsResolverOptions = {}) {
    this.#resolver = createResolver(options);
  }

  /**
   * Looks up the TXT records and compares each, chunks joined, with the expected value.
   * @throws the abort reason when `options.signal` aborts; every other failure is a result.
   * @example
   * const { ok } = await dns.check(challenge, { signal });
   */
  async check(challenge: ChallengeToCheck, options: { readonly signal?: AbortSignal } = {}): Promise<ChallengeCheckResult> {
    const name = dnsChallengeName(challenge.domain);
    let records: string[][];
    try {
      records = await abortableLookup(this.#resolver, () => this.#resolver.resolveTxt(name), options.signal);
    } catch (err) {
      options.signal?.throwIfAborted();
      const code = (err as { code?: string }).code ?? 'an error';
      return { ok: false, problem: `the TXT lookup of ${name} failed (${code})` };
    }
    if (records.length === 0) return { ok: false, problem: `${name} has no TXT record` };
    if (records.some((chunks) => chunks.join('') === challenge.expected)) return { ok: true };
    return { ok: false, problem: `none of the ${records.length} TXT record(s) at ${name} is the expected value` };
  }
}
