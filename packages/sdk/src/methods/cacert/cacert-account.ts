/**
 * The CAcert method's account step: the browser registration (`register()`) made resumable with
 * the credential store. The ticket and PKCE verifier are kept before the page opens, so that a
 * run killed while the person registers continues on the same ticket instead of starting a second
 * registration (which the CA would refuse as `address_taken`); the one-time code is kept before it
 * is redeemed; the installation token is stored before the step returns.
 */
import { isValidUserCode, WIZARD_CODE_PATTERN } from '@certwizard/protocol';
import type { AccountContext, AccountOutcome } from '../../enroll/enrollment-method.js';
import { RedemptionRefusedError, RegistrationRefusedError, TicketExpiredError } from '../../errors.js';
import type { Clock } from '../../registration/clock.js';
import { register, type PendingRegistration, type RegisterOptions } from '../../registration/register.js';
import type { CacertState } from './cacert-state.js';
import { installationTokenKey, pendingRegistrationKey } from './credential-keys.js';

/** Where email-ping nonces come from: the vendor's mail hook (its nonce book). */
export interface PingNonceSource {
  /** A fresh nonce the hook will accept in a ping to exactly `address`, once, for `ttlMs`. */
  expect(address: string, options: { readonly ttlMs: number; readonly signal?: AbortSignal }): Promise<string>;
}

/** Options of the browser registration the CAcert method passes through to `register()`. */
export type CacertRegistrationOptions = Omit<RegisterOptions, 'caUrl' | 'csrPem' | 'resume' | 'onPending' | 'signal' | 'onEvent' | 'fetch' | 'clock'>;

/** The vendor's mail hook, checked: its nonce book and the nonces' lifetime in ms. */
export interface CheckedEmailPing {
  readonly nonces: PingNonceSource;
  readonly ttlMs: number;
}

/** What the account step needs of the method's configuration. */
export interface AccountSettings {
  readonly caUrl: string;
  readonly caOrigin: string;
  readonly registration: CacertRegistrationOptions;
  /** Default: the request is sent with the registration when its names are exactly one address. */
  readonly sendCsrWithRegistration: boolean | undefined;
  readonly emailPing: CheckedEmailPing | undefined;
  /** The method's own `fetch` and clock, when its factory was given them (they win over the context's). */
  readonly fetch: typeof fetch | undefined;
  readonly clock: Clock | undefined;
}

/**
 * Registers this installation with the CA unless the credential store has its token already, and
 * stores the token. With exactly one address to certify (or `sendCsrWithRegistration`), the
 * request goes with the registration and the CA decides it when the address is confirmed.
 *
 * @throws everything `register()` throws; a registration the CA refused, or whose ticket or code
 *   is spent, is forgotten so that the next call starts a new one, while a timeout or an abort
 *   keeps it (the person may still finish on the same ticket).
 * @example
 * const { state, accountEmail } = await registerAccount(settings, { request, credentials, signal });
 */
export async function registerAccount(settings: AccountSettings, context: AccountContext<CacertState>): Promise<AccountOutcome<CacertState>> {
  const { credentials, request, signal } = context;
  const emit = context.onEvent ?? (() => undefined);
  const tokenKey = installationTokenKey(settings.caOrigin);
  const options = { signal };
  if ((await credentials.get(tokenKey, options)) !== undefined) {
    // This installation registered with this CA before (another certificate, or a run killed
    // after the token was stored): no second account.
    return { state: { csrSentWithRegistration: false } };
  }
  const email = request.names?.email ?? [];
  const dns = request.names?.dns ?? [];
  const sendCsr = settings.sendCsrWithRegistration ?? (email.length === 1 && dns.length === 0);
  const pendingKey = pendingRegistrationKey(settings.caOrigin);
  const resume = parsePending(await credentials.get(pendingKey, options));
  // What is kept of the registration so far; the code joins it before it is redeemed.
  let pending: PendingRegistration | undefined = resume;
  // The registration's confirmation mail is the first email ping: with the vendor's mail hook,
  // a nonce for the prefilled address lets the mail server answer it by itself.
  const prefilled = settings.registration.prefill?.emailAddress;
  const address = prefilled?.sure === true && prefilled.value !== '' ? prefilled.value : undefined;
  const { emailPing } = settings;
  // A resumed registration's ticket already holds the nonce it was asked for with.
  const pingNonce =
    emailPing !== undefined && address !== undefined && resume === undefined
      ? await emailPing.nonces.expect(address, { ttlMs: emailPing.ttlMs, ...(signal ? { signal } : {}) })
      : undefined;
  if (address !== undefined) emit({ type: 'address-confirmation', address, automatic: emailPing !== undefined });
  const fetchImpl = settings.fetch ?? context.fetch;
  const clock = settings.clock ?? context.clock;
  let result: Awaited<ReturnType<typeof register>>;
  try {
    result = await register({
      ...settings.registration,
      caUrl: settings.caUrl,
      ...(sendCsr ? { csrPem: request.csrPem } : {}),
      ...(resume === undefined ? {} : { resume }),
      ...(pingNonce === undefined ? {} : { pingNonce }),
      onPending: (started) => {
        pending = started;
        return credentials.set(pendingKey, JSON.stringify(started), options);
      },
      onCode: (code) => credentials.set(pendingKey, JSON.stringify({ ...pending, code }), options),
      ...(signal === undefined ? {} : { signal }),
      ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
      ...(clock === undefined ? {} : { clock }),
      onEvent: (event) => emit({ type: 'registration', event }),
    });
  } catch (error) {
    if (error instanceof RegistrationRefusedError || error instanceof TicketExpiredError || error instanceof RedemptionRefusedError) {
      await credentials.delete(pendingKey, options);
    }
    throw error;
  }
  await credentials.set(tokenKey, result.installationToken, options);
  await credentials.delete(pendingKey, options);
  return { state: { csrSentWithRegistration: sendCsr }, accountEmail: result.emailAddress };
}

/** The registration under way as kept in the credential store, or `undefined` (none, or unreadable). */
function parsePending(text: string | undefined): PendingRegistration | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object') return undefined;
    const field = (name: keyof PendingRegistration): unknown => Reflect.get(value, name);
    const ticket = field('ticket');
    const codeVerifier = field('codeVerifier');
    const userCode = field('userCode');
    const code = field('code');
    if (typeof ticket === 'string' && typeof codeVerifier === 'string') {
      return {
        ticket,
        codeVerifier,
        ...(isValidUserCode(userCode) ? { userCode } : {}),
        ...(typeof code === 'string' && WIZARD_CODE_PATTERN.test(code) ? { code } : {}),
      };
    }
  } catch {
    // Unreadable: start a new registration rather than fail for good.
  }
  return undefined;
}
