/**
 * The resumable enrollment: from nothing to an installed certificate, as one call that an
 * installer may be killed in at any point and simply call again.
 *
 * The steps ({@link ENROLL_STEPS}) each end with an atomic write of the state file, and each is
 * written so that running it a second time is harmless:
 *
 * - `prepare-key`: the key is written (O_EXCL, 0600, fsync) before the request is made from it,
 *   and the request is recorded before it is sent anywhere: a request that exists is never
 *   without its key.
 * - `register`: the ticket and PKCE verifier go to the credential store before the page opens, so
 *   a run killed while the person registers continues on the same ticket instead of starting a
 *   second registration (which the CA would refuse as `address_taken`); the installation token
 *   goes to the credential store before the step is recorded as done.
 * - `verify-email`: confirms each address to certify for the account (an email ping, answered by
 *   the vendor's mail hook or a person), unless the request went with the registration; asking
 *   the CA first makes it harmless to run again.
 * - `submit`: the CA is first asked whether it already has the request (by its SHA-256); only if
 *   not is it sent. A request the CA received but whose answer was lost is found, not resent.
 * - `await-issue`: polls by request id.
 * - `install`: when the live certificate already is the issued one (killed after the switch),
 *   only the post-install command runs again.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { basename, join } from 'node:path';
import {
  createCsr,
  exportPrivateKeyPem,
  fingerprintSha256,
  generateKeyPairAsync,
  importPrivateKeyPem,
  type KeyType,
  KEY_TYPES,
  parseCertificate,
  parseCsr,
  publicKeyDer,
} from '@certwizard/pki';
import type { CredentialStore } from '../credentials/credential-store.js';
import { cacertMethod } from '../enroll/cacert-method.js';
import type { EnrollmentEvent } from '../enroll/enrollment-event.js';
import type { EnrollmentMethod, IssuedResult, SubmitResult } from '../enroll/enrollment-method.js';
import { EnrollmentRejectedError } from '../enroll/errors.js';
import { submit, type SubmitOptions } from '../enroll/submit.js';
import { verifyAddress, type AddressVerificationEvent, type VerifyAddressOptions } from '../enroll/verify-address.js';
import { isValidUserCode, WIZARD_CODE_PATTERN } from '@certwizard/protocol';
import { RedemptionRefusedError, RegistrationAbortedError, RegistrationRefusedError, TicketExpiredError } from '../errors.js';
import { CREATE_FLAGS, nodeFileSystem, type InstallFileSystem } from '../install/file-system.js';
import { install, type InstallOptions } from '../install/install.js';
import type { InstalledCertificate } from '../install/installed-certificate.js';
import { hasCode, INSTALL_NAME_PATTERN } from '../install/layout.js';
import { checkPostInstallCommand, runPostInstallCommand, type PostInstallCommand } from '../install/post-install.js';
import { PostInstallCommandError } from '../install/errors.js';
import { readInstalled } from '../install/read-installed.js';
import { systemClock, type Clock } from '../registration/clock.js';
import { register, type PendingRegistration, type RegisterOptions } from '../registration/register.js';
import type { RegistrationEvent } from '../registration/registration-event.js';
import { acquireEnrollmentLock } from './enrollment-lock.js';
import { EnrollmentKeyError, StateFileError, StateMismatchError } from './errors.js';
import {
  type EnrollmentState,
  type EnrollStep,
  readState,
  removeStaleTemporaries,
  type StatePaths,
  statePaths,
  syncDirectory,
  writeState,
} from './state-file.js';

/** Where email-ping nonces come from: the vendor's mail hook (its nonce book). */
export interface PingNonceSource {
  /** A fresh nonce the hook will accept in a ping to exactly `address`, once, for `ttlMs`. */
  expect(address: string, options: { readonly ttlMs: number; readonly signal?: AbortSignal }): Promise<string>;
}

/** Registration options {@link enroll} passes through to `register()`. */
export type EnrollRegistrationOptions = Omit<RegisterOptions, 'caUrl' | 'csrPem' | 'resume' | 'onPending' | 'signal' | 'onEvent' | 'fetch' | 'clock'>;

/** Options of {@link enroll}. */
export interface EnrollOptions {
  /** The CA's base URL, e.g. `https://ca.example`. */
  readonly caUrl: string;
  /** The certificate's name: `live/<name>/` and the state file `<name>.json` ({@link INSTALL_NAME_PATTERN}). */
  readonly name: string;
  /** Where certificates are installed (`archive/`, `live/`); created (0700) when missing, its parent must exist. */
  readonly baseDir: string;
  /** Where the state file and the pending key live. Default: `<baseDir>/enrollments` (0700). */
  readonly stateDir?: string;
  /** The names to certify, from the vendor's configuration. */
  readonly names: { readonly email?: readonly string[]; readonly dns?: readonly string[] };
  /** Key algorithm and size. Default `'p256'`. */
  readonly keyType?: KeyType;
  /** Where the installation token (and a registration under way) is kept: the OS keychain, or the explicit file store. */
  readonly credentials: CredentialStore;
  /** The CA certificate(s) the issued chain must lead to, PEM (pinned by the vendor, not fetched). */
  readonly trustAnchorsPem: string;
  /** Options of the browser registration (prefill, opener, noBrowser, display, timeouts...). */
  readonly registration?: EnrollRegistrationOptions;
  /**
   * Send the request with the registration (the CA issues it once the address is confirmed).
   * Default: true when the names are exactly one address, the case the CA can issue that way.
   */
  readonly sendCsrWithRegistration?: boolean;
  /** How to reach the CA with the installation token. Default: the CAcert-style API ({@link cacertMethod}). */
  readonly method?: (context: { readonly caUrl: string; readonly installationToken: string }) => EnrollmentMethod;
  /**
   * The vendor's mail hook, when the product is a mail server for the addresses to certify: its
   * nonce book (`openNonceBook` of @certwizard/mail-hook fits) gives a nonce for each email ping,
   * and the mail server answers the pings by itself. Without it a person clicks the links.
   */
  readonly emailPing?: { readonly nonces: PingNonceSource; /** Nonce lifetime, in ms. Default 24 h. */ readonly ttlMs?: number };
  /** Waiting for an address to be confirmed: time limit and poll intervals (see `verifyAddress()`). */
  readonly verification?: Pick<VerifyAddressOptions, 'timeoutMs' | 'pollIntervalMs' | 'maxPollIntervalMs'>;
  /** Waiting for approval: time limit and poll intervals (see `submit()`). */
  readonly waiting?: Pick<SubmitOptions, 'timeoutMs' | 'pollIntervalMs' | 'maxPollIntervalMs'>;
  /** Also write a PKCS #12 file (see `install()`). */
  readonly pkcs12?: InstallOptions['pkcs12'];
  /** Run after the certificate went live, e.g. to reload the server (see `install()`). */
  readonly postInstall?: PostInstallCommand;
  /** Aborts the run; the state file keeps what was done, a later call continues. */
  readonly signal?: AbortSignal;
  /** Progress, for a wizard or a log: never carries a secret. What it throws is ignored. */
  readonly onEvent?: (event: EnrollFlowEvent) => void;
  /** The `fetch` of every request to the CA. Default: the global one. */
  readonly fetch?: typeof fetch;
  /** Clock of the waits. Default: the system clock. */
  readonly clock?: Clock;
  /** File-system seam (state file, key, install). Default: node:fs. */
  readonly fs?: InstallFileSystem;
  /**
   * How long to wait, in ms, when another run is working on this enrollment (its lock
   * `<stateDir>/<name>.lock` names a live process) before rejecting with
   * `ERR_SDK_ENROLLMENT_LOCKED`; it looks every 250 ms, so this is rounded up to a multiple of
   * 250. Default 0: refuse at once.
   */
  readonly lockWaitMs?: number;
}

/** Progress of {@link enroll}. */
export type EnrollFlowEvent =
  /** A step starts; `resumed` when an earlier run recorded it as the next one. */
  | { readonly type: 'step'; readonly step: EnrollStep; readonly resumed: boolean }
  /** Progress of the browser registration. */
  | { readonly type: 'registration'; readonly event: RegistrationEvent }
  /** Progress of sending and polling the request. */
  | { readonly type: 'enrollment'; readonly event: EnrollmentEvent }
  /**
   * How the registration's address will be confirmed: `automatic` when the vendor's mail hook got
   * a nonce for it (it answers the CA's mail by itself), otherwise the person opens the mail and
   * clicks its link.
   */
  | { readonly type: 'address-confirmation'; readonly address: string; readonly automatic: boolean }
  /** Progress of confirming an address to certify (`verify-email`). */
  | { readonly type: 'address'; readonly event: AddressVerificationEvent }
  /** The CA already had the request (found by its fingerprint): it is not sent again. */
  | { readonly type: 'request-found'; readonly status: SubmitResult['status'] }
  /** The live certificate already was the issued one: only the post-install command ran. */
  | { readonly type: 'already-installed' };

/** What {@link enroll} resolves with. */
export interface EnrollResult {
  /** The live certificate: paths, fingerprint, expiry, names. */
  readonly installed: InstalledCertificate;
  /** The address the CA confirmed, when this installation registered. */
  readonly accountEmail?: string;
  /** Whether the run continued from a state an earlier run left. */
  readonly resumed: boolean;
}

/** Credential-store key of the installation token for a CA. */
export const installationTokenKey = (caOrigin: string): string => `installation-token:${caOrigin}`;
/**
 * Credential-store key of a registration under way for a CA: its ticket, PKCE verifier and user
 * code, and, once the registration finished, the one-time code, kept before it is redeemed so
 * that a run killed before it kept the token redeems it again (the CA then issues a fresh token
 * and revokes the lost one).
 */
export const pendingRegistrationKey = (caOrigin: string): string => `registration:${caOrigin}`;

/**
 * Enrolls: registers if needed, makes the key and request, gets the certificate issued, installs
 * it. Resumable: call it again with the same options after a crash, a kill or an abort, and it
 * continues where the state file says, with no second account, no second request and the same key.
 * When it finished before, it returns the live certificate again without contacting the CA.
 *
 * @throws {TypeError} for bad options.
 * @throws {EnrollmentLockedError} `ERR_SDK_ENROLLMENT_LOCKED` when another run still works on this enrollment after `lockWaitMs`.
 * @throws {StateFileError} `ERR_SDK_STATE_FILE`, {@link StateMismatchError} `ERR_SDK_STATE_MISMATCH`,
 *   {@link EnrollmentKeyError} `ERR_SDK_ENROLLMENT_KEY` for a state that cannot be continued.
 * @throws {EnrollmentRejectedError} `ERR_SDK_ENROLL_REJECTED` when the CA refused the request; the
 *   request and its key are dropped so that the next call starts with a new one.
 * @throws everything `register()`, `submit()`, `install()` and the credential store throw, with the
 *   state kept for the next call.
 * @example
 * const { installed } = await enroll({
 *   caUrl: 'https://ca.example', name: 'mail', baseDir: '/etc/examplemail/certs',
 *   names: { email: ['postmaster@example.org'] }, credentials: await openCredentialStore({ service: 'examplemail' }),
 *   trustAnchorsPem: readFileSync('/usr/share/examplemail/ca.pem', 'utf8'),
 *   registration: { prefill: { emailAddress: { value: 'postmaster@example.org', sure: true } } },
 * });
 * console.log(installed.paths.fullchain, installed.fingerprintSha256);
 */
export async function enroll(options: EnrollOptions): Promise<EnrollResult> {
  const settings = checkOptions(options);
  // One run per enrollment: a second one would race this one's ticket, key and state file.
  const lock = await acquireEnrollmentLock(settings.paths.dir, settings.name, {
    folders: [settings.baseDir, settings.paths.dir],
    waitMs: options.lockWaitMs,
    clock: settings.clock,
    signal: settings.signal,
  });
  try {
    return await new EnrollmentRun(settings).execute();
  } finally {
    await lock.release();
  }
}

interface Settings {
  readonly caUrl: string;
  readonly caOrigin: string;
  readonly name: string;
  readonly baseDir: string;
  readonly paths: StatePaths;
  readonly names: { readonly email: readonly string[]; readonly dns: readonly string[] };
  readonly keyType: KeyType;
  readonly credentials: CredentialStore;
  readonly trustAnchorsPem: string;
  readonly registration: EnrollRegistrationOptions;
  readonly sendCsrWithRegistration: boolean;
  readonly method: (context: { readonly caUrl: string; readonly installationToken: string }) => EnrollmentMethod;
  readonly waiting: Pick<SubmitOptions, 'timeoutMs' | 'pollIntervalMs' | 'maxPollIntervalMs'>;
  readonly emailPing: { readonly nonces: PingNonceSource; readonly ttlMs: number } | undefined;
  readonly verification: Pick<VerifyAddressOptions, 'timeoutMs' | 'pollIntervalMs' | 'maxPollIntervalMs'>;
  readonly pkcs12: InstallOptions['pkcs12'] | undefined;
  readonly postInstall: PostInstallCommand | undefined;
  readonly signal: AbortSignal | undefined;
  readonly emit: (event: EnrollFlowEvent) => void;
  readonly fetch: typeof fetch | undefined;
  readonly clock: Clock;
  readonly fs: InstallFileSystem;
}

class EnrollmentRun {
  readonly #s: Settings;
  #state: EnrollmentState | undefined;
  #resumed = false;

  constructor(settings: Settings) {
    this.#s = settings;
  }

  async execute(): Promise<EnrollResult> {
    const s = this.#s;
    this.#checkAbort();
    await this.#prepareFolders();
    this.#state = await readState(s.fs, s.paths);
    if (this.#state !== undefined) {
      this.#checkBelongs(this.#state);
      this.#resumed = true;
    }
    let key: KeyObject | undefined;
    for (let first = true; ; first = false) {
      this.#checkAbort();
      const step: EnrollStep = this.#state?.step ?? 'prepare-key';
      s.emit({ type: 'step', step, resumed: this.#resumed && first });
      switch (step) {
        case 'prepare-key':
          key = await this.#prepareKey();
          break;
        case 'register':
          await this.#register();
          break;
        case 'verify-email':
          await this.#verifyEmail();
          break;
        case 'submit':
          await this.#submit();
          break;
        case 'await-issue':
          await this.#awaitIssue();
          break;
        case 'install':
          await this.#install(key ?? (await this.#readKey(this.#current)));
          break;
        case 'done':
          return await this.#finished();
      }
    }
  }

  get #current(): EnrollmentState {
    if (this.#state === undefined) throw new Error('no state yet');
    return this.#state;
  }

  async #save(next: Omit<EnrollmentState, 'version' | 'updatedAt' | 'caOrigin' | 'names'>): Promise<void> {
    const s = this.#s;
    this.#state = await writeState(s.fs, s.paths, { caOrigin: s.caOrigin, names: s.names, ...next }, s.clock.now());
  }

  /** The step after `step`, keeping everything recorded so far. */
  async #advance(step: EnrollStep, changes: Partial<EnrollmentState> = {}): Promise<void> {
    const { version: _v, updatedAt: _u, caOrigin: _c, names: _n, ...kept } = this.#current;
    await this.#save({ ...kept, ...changes, step });
  }

  async #prepareFolders(): Promise<void> {
    const { fs, baseDir, paths } = this.#s;
    for (const dir of [baseDir, paths.dir]) {
      try {
        await fs.mkdir(dir, 0o700);
      } catch (error) {
        if (!hasCode(error, 'EEXIST')) throw new StateFileError(`cannot create ${dir}`, { cause: error });
        const stat = await fs.lstat(dir);
        // baseDir may be a link the vendor set up; the state folder must be a real folder.
        if (dir === paths.dir && !stat.isDirectory()) throw new StateFileError(`${dir} is not a directory`);
      }
    }
    await removeStaleTemporaries(fs, paths);
  }

  #checkBelongs(state: EnrollmentState): void {
    const s = this.#s;
    if (state.caOrigin !== s.caOrigin) throw new StateMismatchError(`the state of "${s.name}" belongs to the CA ${state.caOrigin}, not ${s.caOrigin}`);
    const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    if (!same(state.names.email, s.names.email) || !same(state.names.dns, s.names.dns)) {
      throw new StateMismatchError(`the state of "${s.name}" was made for other names; use another name or remove ${s.paths.state}`);
    }
  }

  /**
   * The key first (O_EXCL, 0600, fsync), then the request made from it, then the state: a killed
   * run leaves at most a key no request was made from yet, which the next run takes up.
   */
  async #prepareKey(): Promise<KeyObject> {
    const s = this.#s;
    let key = await this.#readKeyIfAny();
    if (key === undefined) {
      ({ privateKey: key } = await generateKeyPairAsync(s.keyType, s.signal ? { signal: s.signal } : {}));
      await this.#writeKey(key);
    }
    const csr = createCsr({ privateKey: key, subjectAltNames: { dns: [...s.names.dns], email: [...s.names.email] } });
    await this.#save({ step: 'register', csrPem: csr.pem, csrSha256: parseCsr(csr.der).fingerprintSha256 });
    return key;
  }

  async #readKeyIfAny(): Promise<KeyObject | undefined> {
    const { fs, paths } = this.#s;
    let pem: string;
    try {
      const stat = await fs.lstat(paths.key);
      if (!stat.isFile()) throw new EnrollmentKeyError(`${paths.key} is not a regular file; refusing to use it`);
      pem = (await fs.readFile(paths.key)).toString('utf8');
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return undefined;
      throw error;
    }
    try {
      return importPrivateKeyPem(pem);
    } catch {
      // A key cut short by a crash while it was written: no request was made from it (the state
      // is recorded only after the key is on disk), so it is replaced.
      await fs.unlink(paths.key);
      return undefined;
    }
  }

  async #writeKey(key: KeyObject): Promise<void> {
    const { fs, paths } = this.#s;
    const handle = await fs.open(paths.key, CREATE_FLAGS, 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(exportPrivateKeyPem(key));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await syncDirectory(fs, paths.dir);
  }

  /** The key of the recorded request; it must be there and match. */
  async #readKey(state: EnrollmentState): Promise<KeyObject> {
    const { fs, paths } = this.#s;
    let key: KeyObject;
    try {
      key = importPrivateKeyPem((await fs.readFile(paths.key)).toString('utf8'));
    } catch (error) {
      throw new EnrollmentKeyError(`the key of the request of "${this.#s.name}" cannot be read from ${paths.key}; remove ${paths.state} to start over`, {
        cause: error,
      });
    }
    const csr = parseCsr(state.csrPem as string);
    if (!Buffer.from(publicKeyDer(createPublicKey(key))).equals(Buffer.from(csr.publicKeyDer))) {
      throw new EnrollmentKeyError(`${paths.key} is not the key of the recorded request; remove ${paths.state} to start over`);
    }
    return key;
  }

  async #register(): Promise<void> {
    const s = this.#s;
    const state = this.#current;
    const tokenKey = installationTokenKey(s.caOrigin);
    const options = { signal: s.signal };
    if ((await s.credentials.get(tokenKey, options)) !== undefined) {
      // This installation registered with this CA before (another certificate, or a run killed
      // after the token was stored): no second account.
      await this.#advance('verify-email');
      return;
    }
    const pendingKey = pendingRegistrationKey(s.caOrigin);
    const resume = parsePending(await s.credentials.get(pendingKey, options));
    // What is kept of the registration so far; the code joins it before it is redeemed.
    let pending: PendingRegistration | undefined = resume;
    // The registration's confirmation mail is the first email ping: with the vendor's mail hook,
    // a nonce for the prefilled address lets the mail server answer it by itself.
    const prefilled = s.registration.prefill?.emailAddress;
    const address = prefilled?.sure === true && prefilled.value !== '' ? prefilled.value : undefined;
    // A resumed registration's ticket already holds the nonce it was asked for with.
    const wantsPing = s.emailPing !== undefined && address !== undefined;
    const pingNonce =
      wantsPing && resume === undefined
        ? await s.emailPing?.nonces.expect(address as string, { ttlMs: s.emailPing.ttlMs, ...(s.signal ? { signal: s.signal } : {}) })
        : undefined;
    if (address !== undefined) s.emit({ type: 'address-confirmation', address, automatic: wantsPing });
    let result: Awaited<ReturnType<typeof register>>;
    try {
      result = await register({
        ...s.registration,
        caUrl: s.caUrl,
        ...(s.sendCsrWithRegistration ? { csrPem: state.csrPem as string } : {}),
        ...(resume === undefined ? {} : { resume }),
        ...(pingNonce === undefined ? {} : { pingNonce }),
        onPending: (started) => {
          pending = started;
          return s.credentials.set(pendingKey, JSON.stringify(started), options);
        },
        onCode: (code) => s.credentials.set(pendingKey, JSON.stringify({ ...pending, code }), options),
        ...(s.signal === undefined ? {} : { signal: s.signal }),
        ...(s.fetch === undefined ? {} : { fetch: s.fetch }),
        clock: s.clock,
        onEvent: (event) => s.emit({ type: 'registration', event }),
      });
    } catch (error) {
      // A registration the CA refused, or whose ticket or code is spent, cannot be continued: the
      // next call starts a new one. A timeout or an abort keeps it, since the person may still
      // finish on the same ticket.
      if (error instanceof RegistrationRefusedError || error instanceof TicketExpiredError || error instanceof RedemptionRefusedError) {
        await s.credentials.delete(pendingKey, options);
      }
      throw error;
    }
    await s.credentials.set(tokenKey, result.installationToken, options);
    await s.credentials.delete(pendingKey, options);
    await this.#advance('verify-email', { accountEmail: result.emailAddress, csrSentWithRegistration: s.sendCsrWithRegistration });
  }

  async #token(): Promise<string> {
    const s = this.#s;
    const installationToken = await s.credentials.get(installationTokenKey(s.caOrigin), { signal: s.signal });
    if (installationToken === undefined) {
      // Removed from the keychain behind our back: register again rather than fail for good.
      await this.#advance('register');
      throw new RestartStep();
    }
    return installationToken;
  }

  async #method(): Promise<EnrollmentMethod> {
    return this.#s.method({ caUrl: this.#s.caUrl, installationToken: await this.#token() });
  }

  /**
   * Confirms each address to certify for the account, unless the request went with the
   * registration (the CA then decides what it certifies). Already confirmed ones cost one
   * question to the CA; for the others the CA pings the address, with a mail-hook nonce when the
   * vendor has a hook, and the step waits until the CA lists it as confirmed.
   */
  async #verifyEmail(): Promise<void> {
    const s = this.#s;
    if (this.#current.csrSentWithRegistration !== true) {
      const installationToken = await this.#token().catch(restartOr);
      if (installationToken === undefined) return;
      for (const address of s.names.email) {
        const { emailPing } = s;
        await verifyAddress({
          ...s.verification,
          caUrl: s.caUrl,
          installationToken,
          address,
          ...(emailPing === undefined
            ? {}
            : { pingNonce: () => emailPing.nonces.expect(address, { ttlMs: emailPing.ttlMs, ...(s.signal ? { signal: s.signal } : {}) }) }),
          ...(s.signal === undefined ? {} : { signal: s.signal }),
          ...(s.fetch === undefined ? {} : { fetch: s.fetch }),
          clock: s.clock,
          onEvent: (event) => s.emit({ type: 'address', event }),
        });
      }
    }
    await this.#advance('submit');
  }

  async #submit(): Promise<void> {
    const state = this.#current;
    const method = await this.#method().catch(restartOr);
    if (method === undefined) return;
    const request = { csrPem: state.csrPem as string, names: this.#s.names };
    const signal = this.#s.signal;
    // Ask before sending: the CA may have it from the registration, or from a run killed after
    // sending it. Methods without find rely on the CA answering a resent request from its store.
    const found = method.find === undefined ? undefined : await method.find(request, signal ? { signal } : {});
    if (found !== undefined) this.#s.emit({ type: 'request-found', status: found.status });
    const result = found ?? (await method.submit(request, signal ? { signal } : {}));
    await this.#record(result);
  }

  async #record(result: SubmitResult): Promise<void> {
    switch (result.status) {
      case 'issued':
        return this.#issued(result);
      case 'pending':
        return this.#advance('await-issue', { requestId: result.requestId });
      case 'rejected':
        await this.#forgetRequest();
        throw new EnrollmentRejectedError(`the CA refused the request: ${result.reason}`, {
          caCode: result.caCode,
          reason: result.reason,
          ...(result.httpStatus === undefined ? {} : { status: result.httpStatus }),
        });
    }
  }

  async #issued(result: Pick<IssuedResult, 'certificatePem' | 'chainPem' | 'requestId'>): Promise<void> {
    await this.#advance('install', {
      certificatePem: result.certificatePem,
      chainPem: result.chainPem,
      ...(result.requestId === undefined ? {} : { requestId: result.requestId }),
    });
  }

  async #awaitIssue(): Promise<void> {
    const s = this.#s;
    const state = this.#current;
    const method = await this.#method().catch(restartOr);
    if (method === undefined) return;
    try {
      const issued = await submit(
        method,
        { csrPem: state.csrPem as string, names: s.names },
        {
          ...s.waiting,
          requestId: state.requestId as string,
          ...(s.signal === undefined ? {} : { signal: s.signal }),
          clock: s.clock,
          onEvent: (event) => s.emit({ type: 'enrollment', event }),
        },
      );
      await this.#issued(issued);
    } catch (error) {
      if (error instanceof EnrollmentRejectedError) await this.#forgetRequest();
      throw error;
    }
  }

  /** A refused request is dead: drop it and its key, so that the next call starts afresh. */
  async #forgetRequest(): Promise<void> {
    const { fs, paths } = this.#s;
    await fs.unlink(paths.state).catch((error: unknown) => {
      if (!hasCode(error, 'ENOENT')) throw error;
    });
    await fs.unlink(paths.key).catch((error: unknown) => {
      if (!hasCode(error, 'ENOENT')) throw error;
    });
    await syncDirectory(fs, paths.dir);
    this.#state = undefined;
  }

  async #install(key: KeyObject): Promise<void> {
    const s = this.#s;
    const state = this.#current;
    const certificatePem = state.certificatePem as string;
    const wanted = fingerprintSha256(parseCertificate(certificatePem).der);
    const live = await readInstalled(s.baseDir, s.name, { fs: s.fs });
    let version: number;
    if (live !== undefined && live.fingerprintSha256 === wanted) {
      // Killed after the switch: the certificate is live; what may not have run is the command.
      s.emit({ type: 'already-installed' });
      if (s.postInstall !== undefined) {
        const outcome = await runPostInstallCommand(s.postInstall, s.signal);
        if (!outcome.ok) {
          const { exitCode, signal, timedOut, stderr } = outcome;
          throw new PostInstallCommandError(
            `the post-install command ${basename(s.postInstall.argv[0] as string)} failed; the certificate stays live and the command runs again on the next call`,
            { exitCode, signal, timedOut, stderr, rolledBack: false, liveVersion: live.version },
            { cause: outcome.error },
          );
        }
      }
      version = live.version;
    } else {
      const installed = await install({
        baseDir: s.baseDir,
        name: s.name,
        privateKey: key,
        certificatePem,
        chainPem: state.chainPem as string,
        trustAnchorsPem: s.trustAnchorsPem,
        ...(s.pkcs12 === undefined ? {} : { pkcs12: s.pkcs12 }),
        ...(s.postInstall === undefined ? {} : { postInstall: s.postInstall }),
        ...(s.signal === undefined ? {} : { signal: s.signal }),
        fs: s.fs,
      });
      version = installed.version;
    }
    await this.#advance('done', { installedVersion: version });
    // The key now lives in archive/<name>/privkeyN.pem; the pending copy goes.
    await s.fs.unlink(s.paths.key).catch((error: unknown) => {
      if (!hasCode(error, 'ENOENT')) throw error;
    });
  }

  async #finished(): Promise<EnrollResult> {
    const s = this.#s;
    const state = this.#current;
    // A run killed between the last state write and the removal of the pending key.
    await s.fs.unlink(s.paths.key).catch((error: unknown) => {
      if (!hasCode(error, 'ENOENT')) throw error;
    });
    const installed = await readInstalled(s.baseDir, s.name, { fs: s.fs });
    if (installed === undefined) throw new StateFileError(`the state of "${s.name}" says installed, but ${join(s.baseDir, 'live', s.name)} is missing`);
    return {
      installed,
      ...(state.accountEmail === undefined ? {} : { accountEmail: state.accountEmail }),
      resumed: this.#resumed,
    };
  }

  #checkAbort(): void {
    const { signal } = this.#s;
    if (signal?.aborted) throw new RegistrationAbortedError('the enrollment was aborted', { cause: signal.reason });
  }
}

/** Thrown inside a step that recorded an earlier step to run again. */
class RestartStep extends Error {}

function restartOr(error: unknown): undefined {
  if (error instanceof RestartStep) return undefined;
  throw error;
}

function parsePending(text: string | undefined): PendingRegistration | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<Record<keyof PendingRegistration, unknown>> | null;
    if (typeof value?.ticket === 'string' && typeof value.codeVerifier === 'string') {
      return {
        ticket: value.ticket,
        codeVerifier: value.codeVerifier,
        ...(isValidUserCode(value.userCode) ? { userCode: value.userCode } : {}),
        ...(typeof value.code === 'string' && WIZARD_CODE_PATTERN.test(value.code) ? { code: value.code } : {}),
      };
    }
  } catch {
    // Unreadable: start a new registration rather than fail for good.
  }
  return undefined;
}

/** Default lifetime of an email-ping nonce: 24 hours, as long as the CA keeps a ping valid. */
const DEFAULT_PING_NONCE_TTL_MS = 24 * 60 * 60 * 1000;

function checkEmailPing(emailPing: EnrollOptions['emailPing']): Settings['emailPing'] {
  if (emailPing === undefined) return undefined;
  if (emailPing === null || typeof emailPing !== 'object' || typeof emailPing.nonces?.expect !== 'function')
    throw new TypeError('emailPing.nonces must have expect()');
  const ttlMs = emailPing.ttlMs ?? DEFAULT_PING_NONCE_TTL_MS;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new TypeError('emailPing.ttlMs must be a positive integer of ms');
  return { nonces: emailPing.nonces, ttlMs };
}

function checkOptions(options: EnrollOptions): Settings {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  let caOrigin: string;
  try {
    caOrigin = new URL(options.caUrl).origin;
  } catch {
    throw new TypeError('caUrl must be an absolute URL');
  }
  if (typeof options.name !== 'string' || !INSTALL_NAME_PATTERN.test(options.name)) throw new TypeError(`name must match ${INSTALL_NAME_PATTERN}`);
  if (typeof options.baseDir !== 'string' || options.baseDir === '') throw new TypeError('baseDir must be a path');
  if (options.stateDir !== undefined && (typeof options.stateDir !== 'string' || options.stateDir === '')) throw new TypeError('stateDir must be a path');
  const names = options.names;
  if (names === null || typeof names !== 'object') throw new TypeError('names must be an object');
  const email = [...(names.email ?? [])];
  const dns = [...(names.dns ?? [])];
  if (![...email, ...dns].every((n) => typeof n === 'string' && n !== '')) throw new TypeError('names must be non-empty strings');
  if (email.length + dns.length === 0) throw new TypeError('names must hold at least one address or DNS name');
  const keyType = options.keyType ?? 'p256';
  if (!KEY_TYPES.includes(keyType)) throw new TypeError(`keyType must be one of ${KEY_TYPES.join(', ')}`);
  const { credentials } = options;
  if (credentials === null || typeof credentials !== 'object' || typeof credentials.get !== 'function')
    throw new TypeError('credentials must be a CredentialStore');
  if (typeof options.trustAnchorsPem !== 'string' || !options.trustAnchorsPem.includes('-----BEGIN CERTIFICATE-----'))
    throw new TypeError('trustAnchorsPem must hold PEM certificates');
  if (options.postInstall !== undefined) checkPostInstallCommand(options.postInstall);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw new TypeError('onEvent must be a function');
  if (options.method !== undefined && typeof options.method !== 'function') throw new TypeError('method must be a function');
  const sendCsrWithRegistration = options.sendCsrWithRegistration ?? (email.length === 1 && dns.length === 0);
  if (typeof sendCsrWithRegistration !== 'boolean') throw new TypeError('sendCsrWithRegistration must be a boolean');
  const { onEvent } = options;
  const baseDir = options.baseDir;
  return {
    caUrl: options.caUrl,
    caOrigin,
    name: options.name,
    baseDir,
    paths: statePaths(options.stateDir ?? join(baseDir, 'enrollments'), options.name),
    names: { email, dns },
    keyType,
    credentials,
    trustAnchorsPem: options.trustAnchorsPem,
    registration: options.registration ?? {},
    sendCsrWithRegistration,
    method:
      options.method ??
      (({ caUrl, installationToken }) =>
        cacertMethod({
          caUrl,
          credentials: { installationToken },
          ...(options.fetch ? { fetch: options.fetch } : {}),
          ...(options.clock ? { clock: options.clock } : {}),
        })),
    waiting: options.waiting ?? {},
    emailPing: checkEmailPing(options.emailPing),
    verification: options.verification ?? {},
    pkcs12: options.pkcs12,
    postInstall: options.postInstall,
    signal: options.signal,
    emit: (event) => {
      try {
        onEvent?.(event);
      } catch {
        // A broken progress display must not break the enrollment.
      }
    },
    fetch: options.fetch,
    clock: options.clock ?? systemClock,
    fs: options.fs ?? nodeFileSystem,
  };
}
