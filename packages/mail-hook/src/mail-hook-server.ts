/**
 * The standalone way to use the hook: an SMTP listener of its own on 127.0.0.1, for a mail server
 * that is not built on smtp-server. Its MTA relays to this port; every mail accepted here is
 * handed to the vendor's `deliver` callback.
 */
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { checkInteger } from './check-integer.js';
import { domainOfAddress, normalizeDomain } from './codec/address.js';
import { MailHookAbortedError, MailHookArgumentError, MailHookListenError } from './errors.js';
import { internalsOf, type MailHook, type SmtpOnRcptTo } from './mail-hook.js';
import type { NonceBook } from './nonce-book.js';
import { SMTP_REFUSALS } from './transport/smtp-data.js';

/** The only address the listener binds: loopback, never the network. */
export const MAIL_HOOK_LISTEN_ADDRESS = '127.0.0.1';
/** Default cap on simultaneous SMTP connections. */
export const DEFAULT_MAX_CLIENTS = 64;
/** Default cap on socket inactivity, in milliseconds: 60 s. */
export const DEFAULT_SOCKET_TIMEOUT_MS = 60_000;

/**
 * Receives one accepted mail: `message` is every byte of it as received (dot-unstuffed, without
 * the final `.`), `session` is smtp-server's session (envelope in `session.envelope`). Resolve
 * once the mail is stored; a rejection answers the client 451 (try again later).
 */
export type DeliverFunction = (message: Buffer, session: SMTPServerSession) => Promise<void> | void;

/** Options of {@link startMailHookServer}. */
export interface MailHookServerOptions {
  /** Where accepted mail goes (pings that were answered included, unmarked). */
  readonly deliver: DeliverFunction;
  /** TCP port on 127.0.0.1, 0 to 65535. Default 0: the system picks a free one. */
  readonly port?: number;
  /** The name in the greeting and EHLO reply. Default `localhost`. */
  readonly serverName?: string;
  /** Cap on simultaneous connections, 1 to 10000. Default 64. */
  readonly maxClients?: number;
  /** Cap on socket inactivity, in milliseconds, 1000 to 3600000. Default 60000. */
  readonly socketTimeoutMs?: number;
  /**
   * The domains the listener takes mail for. `RCPT TO` any other domain gets 550 5.7.1 (relaying
   * denied): everything accepted goes to `deliver`, and whatever stores or re-sends it must not
   * become an open relay for anyone who can reach 127.0.0.1. Compared lower-cased and whole
   * (`sub.example.org` is another domain than `example.org`); `<Postmaster>` without a domain
   * (RFC 5321 §4.5.1) is always taken. Dot-separated labels, no trailing dot, no address literal.
   * Default: the domains of the addresses the hook's nonce book holds a nonce for at the time of
   * each `RCPT TO` (issued and not expired), which is all a listener needs that the mail server
   * sends only the pings to; list the domains when it sends other mail there too.
   */
  readonly domains?: readonly string[];
  /** Aborting it closes the listener; before it listens, the start rejects with `ERR_MAIL_HOOK_ABORTED`. */
  readonly signal?: AbortSignal;
}

/** A running listener; see {@link startMailHookServer}. */
export interface MailHookServer extends AsyncDisposable {
  /** The bound port on 127.0.0.1. */
  readonly port: number;
  /** Stops listening and closes every connection; idempotent. Does not close the hook or the book. */
  close(): Promise<void>;
  /** Same as {@link MailHookServer.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts an SMTP listener on 127.0.0.1 that runs every mail through `hook` and hands it to
 * `options.deliver`. Plain SMTP without AUTH or STARTTLS (loopback only); `SIZE` advertises the
 * hook's `maxMessageBytes`, RCPT TO beyond its `maxRecipients` gets 452, RCPT TO a domain outside
 * `options.domains` gets 550 5.7.1 (logged as `recipient-refused`, `domain-not-served`).
 *
 * @throws {MailHookArgumentError} `ERR_MAIL_HOOK_INVALID_ARGUMENT` for a bad option.
 * @throws {MailHookListenError} `ERR_MAIL_HOOK_LISTEN` when the port cannot be bound.
 * @throws {MailHookAbortedError} `ERR_MAIL_HOOK_ABORTED` when `signal` aborts first.
 * @example
 * await using server = await startMailHookServer(hook, {
 *   port: 10026,
 *   domains: ['example.org'],
 *   deliver: (bytes, session) => maildir.store(bytes, session.envelope),
 * });
 */
export async function startMailHookServer(hook: MailHook, options: MailHookServerOptions): Promise<MailHookServer> {
  const internals = typeof hook === 'object' && hook !== null ? internalsOf(hook) : undefined;
  if (internals === undefined) throw new MailHookArgumentError('hook must be a MailHook made by createMailHook');
  const { receive, log } = internals;
  if (typeof options !== 'object' || options === null) throw new MailHookArgumentError('options must be an object');
  const { deliver, signal } = options;
  if (typeof deliver !== 'function') throw new MailHookArgumentError('deliver must be a function');
  const port = checkInteger('port', options.port ?? 0, 0, 65535);
  const maxClients = checkInteger('maxClients', options.maxClients ?? DEFAULT_MAX_CLIENTS, 1, 10_000);
  const socketTimeoutMs = checkInteger('socketTimeoutMs', options.socketTimeoutMs ?? DEFAULT_SOCKET_TIMEOUT_MS, 1000, 3_600_000);
  const serverName = options.serverName ?? 'localhost';
  if (typeof serverName !== 'string' || !/^[A-Za-z0-9.-]{1,253}$/.test(serverName)) throw new MailHookArgumentError('serverName must be a host name');
  const serves = servedDomains(options.domains, internals.book);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new MailHookArgumentError('signal must be an AbortSignal');
  if (signal?.aborted) throw new MailHookAbortedError('the listener was aborted before it started', { cause: signal.reason });
  const onlyServedDomains: SmtpOnRcptTo = (address, session, callback) => {
    const domain = domainOfAddress(address.address);
    // RFC 5321 §4.5.1: <Postmaster> without a domain is this server's own mailbox, not a relay.
    if (domain === undefined ? address.address.toLowerCase() === 'postmaster' : serves(domain)) return callback();
    log({ level: 'warn', event: 'recipient-refused', reason: 'domain-not-served', sessionId: session.id });
    callback(SMTP_REFUSALS.relayDenied());
  };

  const server = new SMTPServer({
    name: serverName,
    size: hook.maxMessageBytes,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    maxClients,
    socketTimeout: socketTimeoutMs,
    closeTimeout: 1000,
    onRcptTo: hook.wrapOnRcptTo(onlyServedDomains),
    onData: receive((bytes, session, reply) => {
      const failed = () => reply(SMTP_REFUSALS.deliveryFailed());
      let result;
      try {
        result = deliver(bytes, session);
      } catch {
        return failed();
      }
      if (result instanceof Promise) result.then(() => reply(), failed);
      else reply();
    }),
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      cleanup();
      reject(new MailHookListenError(`cannot listen on ${MAIL_HOOK_LISTEN_ADDRESS}:${port}`, { cause: error }));
    };
    const onAbort = () => {
      cleanup();
      server.close(() => {});
      reject(new MailHookAbortedError('the listener was aborted while starting', { cause: signal?.reason }));
    };
    const cleanup = () => {
      server.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    server.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    server.listen(port, MAIL_HOOK_LISTEN_ADDRESS, () => {
      cleanup();
      resolve();
    });
  });
  // After listening, a connection error must not crash the process.
  server.on('error', () => {});

  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new MailHookListenError('the listener has no TCP address');
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      signal?.removeEventListener('abort', onAbort);
      server.close(() => resolve());
    }));
  const onAbort = () => void close();
  signal?.addEventListener('abort', onAbort, { once: true });
  return Object.freeze({ port: address.port, close, [Symbol.asyncDispose]: close });
}

/**
 * Whether the listener takes mail for a (lower-cased) domain: one of `domains`, or, without them,
 * one the book holds a nonce for right now.
 * @throws {MailHookArgumentError} `ERR_MAIL_HOOK_INVALID_ARGUMENT` for a list that is empty or holds something else than domain names.
 */
function servedDomains(domains: readonly string[] | undefined, book: NonceBook): (domain: string) => boolean {
  if (domains === undefined) {
    // A book made elsewhere than openNonceBook may not list its domains: then they must be given.
    if (typeof book.domains !== 'function') throw new MailHookArgumentError("domains must be given: the hook's nonce book cannot list its domains");
    return (domain) => book.domains().includes(domain);
  }
  if (!Array.isArray(domains) || domains.length === 0) throw new MailHookArgumentError('domains must be a non-empty array of domain names');
  const served = new Set<string>();
  for (const domain of domains) {
    const normalized = normalizeDomain(domain);
    if (normalized === undefined) throw new MailHookArgumentError('domains must hold domain names (dot-separated labels, no trailing dot)');
    served.add(normalized);
  }
  return (domain) => served.has(domain);
}
