/**
 * The resumable enrollment: from nothing to an installed certificate, as one call that an
 * installer may be killed in at any point and simply call again. The flow's core: it drives any
 * {@link EnrollmentMethod} and imports none (the package's `enroll()` supplies the CAcert one,
 * flow/default-method.ts); the method's state rides in the state file as an opaque slot.
 *
 * The steps ({@link ENROLL_STEPS}) each end with an atomic write of the state file, and each is
 * written so that running it a second time is harmless:
 *
 * - `prepare-key`: the key is written (O_EXCL, 0600, fsync) before the request is made from it
 *   (with the attributes the method asks for), and the request is recorded before it is sent
 *   anywhere: a request that exists is never without its key.
 * - `register`: the method's account step, harmless to repeat by the method's contract (CAcert:
 *   the ticket and PKCE verifier go to the credential store before the page opens, so a run
 *   killed while the person registers continues on the same ticket instead of starting a second
 *   registration, which the CA would refuse as `address_taken`; the installation token goes to
 *   the credential store before the step returns). Its state is written with the next step.
 * - `verify-email`: the method's verification of the names (CAcert: an email ping for each
 *   address to certify, unless the request went with the registration, and the verification of
 *   each DNS name's domain); asking the CA first makes it harmless to run again (a domain the CA
 *   lists as verified is skipped; a killed email ping is sent again with a new nonce; a dns/http
 *   challenge is answered again with the same values and published again). Names no domain can
 *   cover (`ERR_SDK_NAME_NOT_ALLOWED`) drop the request, as a refusal does.
 * - `submit`: the CA is first asked whether it already has the request (by its SHA-256); only if
 *   not is it sent. A request the CA received but whose answer was lost is found, not resent.
 * - `await-issue`: polls by request id.
 * - `install`: when the live certificate already is the issued one (killed after the switch),
 *   only the post-install command runs again.
 *
 * Before `verify-email`, `submit` and `await-issue` the method is asked whether its account is
 * still there (`hasAccount`); when not (a keychain cleared behind our back), the state goes back
 * to `register` rather than failing for good.
 *
 * A renewal (`renew()`, flow/renew.ts) is this step machine run again for the same name: from a
 * `done` state it starts at `prepare-key` with the method's slot (the account) kept, makes a new
 * pending key beside the live pair, goes on at `verify-email` (the account step is skipped while
 * `hasAccount` holds), and `install` switches to the new pair only once the certificate matches
 * the key and chains to the pinned anchors. Every state it writes carries the `renewal` record,
 * with the done state it replaces: a refused request writes that one back, so the old pair stays
 * live and tracked.
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
import type { EnrollmentEvent } from '../enroll/enrollment-event.js';
import type { EnrollmentMethod, EnrollmentRequest, IssuedResult, MethodContext, SubmitResult } from '../enroll/enrollment-method.js';
import { DomainRefusedError, EnrollmentRejectedError, NameNotAllowedError } from '../enroll/errors.js';
import type { MethodEvent } from '../enroll/method-event.js';
import { submit, type SubmitOptions } from '../enroll/submit.js';
import { RegistrationAbortedError } from '../errors.js';
import { CREATE_FLAGS, nodeFileSystem, type InstallFileSystem } from '../install/file-system.js';
import { install, type InstallOptions } from '../install/install.js';
import type { InstalledCertificate } from '../install/installed-certificate.js';
import { hasCode, INSTALL_NAME_PATTERN } from '../install/layout.js';
import { checkPostInstallCommand, runPostInstallCommand, type PostInstallCommand } from '../install/post-install.js';
import { PostInstallCommandError } from '../install/errors.js';
import { readInstalled } from '../install/read-installed.js';
import { systemClock, type Clock } from '../registration/clock.js';
import { acquireEnrollmentLock } from './enrollment-lock.js';
import type { RenewalRecord } from './renewal-record.js';
import { forgetRevocationSecret, keepPendingRevocationSecret, keepRevocationSecret, type SecretOwner } from './revocation-secrets.js';
import { EnrollmentKeyError, StateFileError, StateMismatchError } from './errors.js';
import {
  type EnrollmentState,
  type EnrollStep,
  keySha256,
  type MethodSlot,
  type RecordedRequest,
  readState,
  removeStaleTemporaries,
  type StateDraft,
  type StatePaths,
  statePaths,
  syncDirectory,
  writeState,
} from './state-file.js';

/**
 * The CA's domain refusals that no later run can overcome for the same names: the domain is
 * another account's, or not one an account may hold. (`invalid_address` and `nonce_in_use` are
 * the options' or the moment's, and the same names may succeed.)
 */
export const PERMANENT_DOMAIN_REFUSALS: ReadonlySet<string> = new Set(['domain_taken', 'invalid_domain']);

/** Options of the flow's core, {@link runEnrollment}: `enroll()`'s, with the method given. */
export interface EnrollFlowOptions {
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
  /** Where the method keeps its secrets (the installation token, a registration under way): the OS keychain, or the explicit file store. */
  readonly credentials: CredentialStore;
  /** The CA certificate(s) the issued chain must lead to, PEM (pinned by the vendor, not fetched). */
  readonly trustAnchorsPem: string;
  /** How to get the certificate: one {@link EnrollmentMethod} (`cacertMethod()`, `sslApiMethod()`, or your own). */
  readonly method: EnrollmentMethod;
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
  /** The `fetch` of every request to the CA (handed to the method, whose own option wins). Default: the global one. */
  readonly fetch?: typeof fetch;
  /** Clock of the waits, and of the validity checks before install. Default: the system clock. */
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

/** Progress of `enroll()`: the flow's own events, and the method's ({@link MethodEvent}). */
export type EnrollFlowEvent =
  /** A step starts; `resumed` when an earlier run recorded it as the next one. */
  | { readonly type: 'step'; readonly step: EnrollStep; readonly resumed: boolean }
  /** Progress of sending and polling the request. */
  | { readonly type: 'enrollment'; readonly event: EnrollmentEvent }
  /** The CA already had the request (found by its fingerprint): it is not sent again. */
  | { readonly type: 'request-found'; readonly status: SubmitResult['status'] }
  /** The live certificate already was the issued one: only the post-install command ran. */
  | { readonly type: 'already-installed' }
  | MethodEvent;

/** What `enroll()` resolves with. */
export interface EnrollResult {
  /** The live certificate: paths, fingerprint, expiry, names. */
  readonly installed: InstalledCertificate;
  /** The address the CA confirmed, when this installation registered. */
  readonly accountEmail?: string;
  /** Whether the run continued from a state an earlier run left. */
  readonly resumed: boolean;
}

/**
 * The flow's core: enrolls with `options.method`. The package's `enroll()` calls it, with the
 * CAcert method when none is given; see there for the whole contract.
 *
 * @throws {TypeError} for bad options.
 * @throws {EnrollmentLockedError} `ERR_SDK_ENROLLMENT_LOCKED` when another run still works on this enrollment after `lockWaitMs`.
 * @throws {StateFileError} `ERR_SDK_STATE_FILE` (also for a method slot the method cannot read, or of a newer version),
 *   {@link StateMismatchError} `ERR_SDK_STATE_MISMATCH` (another CA, other names, another method),
 *   {@link EnrollmentKeyError} `ERR_SDK_ENROLLMENT_KEY` for a state that cannot be continued. Nothing is written then.
 * @throws {EnrollmentRejectedError} `ERR_SDK_ENROLL_REJECTED` when the CA refused the request; the
 *   request and its key are dropped so that the next call starts with a new one.
 * @throws everything the method, `submit()`, `install()` and the credential store throw, with the
 *   state kept for the next call.
 * @example
 * const { installed } = await runEnrollment({ ...options, method: sslApiMethod({ caUrl, client }) });
 */
export async function runEnrollment(options: EnrollFlowOptions): Promise<EnrollResult> {
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

/** How `renew()` starts a renewal from a `done` state: the names of the new request and the record it carries. */
export interface RenewalStart {
  /** The names to certify: the live certificate's, less those the CA no longer certifies for the account. */
  readonly names: { readonly email: readonly string[]; readonly dns: readonly string[] };
  /** The record every state of the renewal carries, `replaces` set. */
  readonly record: RenewalRecord;
}

/**
 * The flow without its lock, for `renew()`, which holds the enrollment's lock around its whole
 * decision: with `start`, a `done` state begins a renewal; without, the recorded step continues
 * (a renewal under way included). Not exported from the package.
 */
export async function runLockedFlow(options: EnrollFlowOptions, start?: RenewalStart): Promise<EnrollResult> {
  return new EnrollmentRun(checkOptions(options), start).execute();
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
  readonly method: EnrollmentMethod;
  readonly waiting: Pick<SubmitOptions, 'timeoutMs' | 'pollIntervalMs' | 'maxPollIntervalMs'>;
  readonly pkcs12: InstallOptions['pkcs12'] | undefined;
  readonly postInstall: PostInstallCommand | undefined;
  readonly signal: AbortSignal | undefined;
  readonly emit: (event: EnrollFlowEvent) => void;
  readonly fetch: typeof fetch | undefined;
  readonly clock: Clock;
  readonly fs: InstallFileSystem;
}

/** A state from `verify-email` on: the account exists. */
type AccountState = Exclude<EnrollmentState, { readonly step: 'register' }>;

class EnrollmentRun {
  readonly #s: Settings;
  #state: EnrollmentState | undefined;
  /** The method's state, as its account or verify step returned it (or its slot, read back): never looked into. */
  #methodState: unknown;
  #resumed = false;
  /** A renewal to begin from the `done` state, until its first state is written. */
  #renewal: RenewalStart | undefined;
  /** The SHA-256 of a revoked certificate's key, when this run starts afresh after `revoke()`: never taken up. */
  #revokedKeySha256: string | undefined;

  constructor(settings: Settings, renewal?: RenewalStart) {
    this.#s = settings;
    this.#renewal = renewal;
  }

  async execute(): Promise<EnrollResult> {
    const s = this.#s;
    this.#checkAbort();
    await this.#prepareFolders();
    this.#state = await readState(s.fs, s.paths);
    if (this.#state?.step === 'done' && this.#state.revoked !== undefined && this.#renewal === undefined) {
      // Its certificate was revoked and moved aside: nothing of it is taken up, the enrollment
      // starts afresh (a new key, a new request); the state file stays as it is until the new
      // request is recorded, so a run killed before that finds the revocation again.
      this.#revokedKeySha256 = this.#state.revoked.keySha256;
      this.#state = undefined;
    }
    if (this.#state !== undefined) {
      this.#checkBelongs(this.#state);
      this.#methodState = this.#takeUpSlot(this.#state);
      this.#resumed = true;
    }
    let key: KeyObject | undefined;
    for (let first = true; ; first = false) {
      this.#checkAbort();
      // A renewal starts over from a done state; everything else continues the recorded step.
      const step: EnrollStep = this.#renewal !== undefined && this.#state?.step === 'done' ? 'prepare-key' : (this.#state?.step ?? 'prepare-key');
      s.emit({ type: 'step', step, resumed: this.#resumed && first });
      switch (step) {
        case 'prepare-key':
          key = await this.#prepareKey();
          break;
        case 'register':
          await this.#account();
          break;
        case 'verify-email':
          await this.#verify();
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

  /** The current state once the account exists. */
  get #afterAccount(): AccountState {
    const state = this.#current;
    if (state.step === 'register') throw new Error('no account yet');
    return state;
  }

  async #save(next: StateDraft): Promise<void> {
    this.#state = await writeState(this.#s.fs, this.#s.paths, next, this.#s.clock.now());
  }

  /** What every state from `verify-email` on carries, the method's slot as it is now (and a renewal's record). */
  #accountKnown(state: AccountState): Pick<AccountState, 'caOrigin' | 'names' | 'request' | 'accountEmail' | 'method' | 'renewal'> {
    return {
      caOrigin: state.caOrigin,
      names: state.names,
      request: state.request,
      accountEmail: state.accountEmail,
      method: this.#slot(),
      ...renewalOf(state),
    };
  }

  /** The method's slot to write: its name, its state format version, its state. */
  #slot(): MethodSlot {
    const { method } = this.#s;
    return { name: method.name, version: method.stateVersion ?? 1, state: this.#methodState ?? null };
  }

  /**
   * Hands the recorded slot back to the method, before anything is written: a slot of another
   * method, of a newer format than the method reads, or that it cannot parse, is refused.
   */
  #takeUpSlot(state: EnrollmentState): unknown {
    const { method, name } = this.#s;
    const recorded = state.step === 'register' ? state.methodName : state.method.name;
    // An empty name: a state file of format 1, which did not record its method.
    if (recorded !== '' && recorded !== method.name) {
      throw new StateMismatchError(
        `the state of "${name}" was made with the method "${recorded}", not "${method.name}"; pass that method, or remove ${this.#s.paths.state} to start over`,
      );
    }
    if (state.step === 'register') return undefined;
    const { version, state: slotState } = state.method;
    const newest = method.stateVersion ?? 1;
    if (version > newest) {
      throw new StateFileError(
        `the state of "${name}" was written by a newer version of the method "${method.name}" (its state format ${version}, this one reads up to ${newest}); update the SDK (or the method)`,
      );
    }
    if (method.parseState !== undefined) return method.parseState(slotState, version);
    if (slotState !== null && version !== 0)
      throw new StateFileError(`the method "${method.name}" keeps no state, but the state of "${name}" holds some for it`);
    return null;
  }

  /** What the method's calls get: the signal, its state, the credential store, fetch, clock, progress. */
  #context(): MethodContext {
    const s = this.#s;
    return {
      ...(s.signal === undefined ? {} : { signal: s.signal }),
      ...(this.#methodState === undefined ? {} : { state: this.#methodState }),
      credentials: s.credentials,
      ...(s.fetch === undefined ? {} : { fetch: s.fetch }),
      clock: s.clock,
      onEvent: (event) => s.emit(event),
    };
  }

  /** The request as the method gets it. */
  #request(state: EnrollmentState): EnrollmentRequest {
    // The state's names: a renewal may certify fewer than it was enrolled for (names dropped).
    return { csrPem: state.request.csrPem, names: state.names };
  }

  /**
   * The request with its key (from the key file, checked against the request), and for a
   * renewal the live pair it replaces: some protocols sign with them (SCEP). In memory only.
   */
  async #requestWithKeys(state: EnrollmentState): Promise<EnrollmentRequest> {
    const privateKey = await this.#readKey(state);
    const renewing = state.renewal?.replaces === undefined ? undefined : await this.#livePair(state.renewal.replaces.installedVersion);
    return { ...this.#request(state), privateKey, ...(renewing === undefined ? {} : { renewing }) };
  }

  /** The installed certificate and key of `version` when it is the live one, else undefined (the method then says what it misses). */
  async #livePair(version: number): Promise<EnrollmentRequest['renewing']> {
    const s = this.#s;
    const live = await readInstalled(s.baseDir, s.name, { fs: s.fs }).catch(() => undefined);
    if (live === undefined || live.version !== version) return undefined;
    try {
      const certificatePem = (await s.fs.readFile(live.paths.cert)).toString('utf8');
      const privateKey = importPrivateKeyPem((await s.fs.readFile(live.paths.privkey)).toString('utf8'));
      return { certificatePem, privateKey };
    } catch {
      return undefined;
    }
  }

  async #prepareFolders(): Promise<void> {
    const { fs, baseDir, paths } = this.#s;
    for (const dir of [baseDir, paths.dir]) {
      try {
        await fs.mkdir(dir, 0o700);
      } catch (error) {
        if (!hasCode(error, 'EEXIST')) throw new StateFileError(`cannot create ${dir}`, { cause: error, folder: dir });
        const stat = await fs.lstat(dir);
        // baseDir may be a link the vendor set up; the state folder must be a real folder.
        if (dir === paths.dir && !stat.isDirectory()) throw new StateFileError(`${dir} is not a directory`, { folder: dir });
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
    if (this.#renewal !== undefined) return this.#prepareRenewalKey(this.#renewal);
    let key = await this.#readKeyIfAny();
    if (key !== undefined && this.#revokedKeySha256 !== undefined && keySha256(key) === this.#revokedKeySha256) {
      // revoke() removes it; a copy put back by hand is still the revoked key.
      await s.fs.unlink(s.paths.key);
      key = undefined;
    }
    if (key === undefined) {
      ({ privateKey: key } = await generateKeyPairAsync(s.keyType, s.signal ? { signal: s.signal } : {}));
      await this.#writeKey(key);
    }
    await this.#save({ step: 'register', caOrigin: s.caOrigin, names: s.names, request: this.#makeRequest(key, s.names), methodName: s.method.name });
    return key;
  }

  /** The request for `names` made from `key`, with the attributes the method asks for. */
  #makeRequest(key: KeyObject, names: Settings['names']): RecordedRequest {
    const { method } = this.#s;
    const attributes = method.csrAttributes?.({ names }) ?? {};
    if (attributes === null || typeof attributes !== 'object') throw new TypeError(`method ${method.name}: csrAttributes must return an object`);
    const csr = createCsr({
      privateKey: key,
      subjectAltNames: { dns: [...names.dns], email: [...names.email] },
      ...(attributes.challengePassword === undefined ? {} : { challengePassword: attributes.challengePassword }),
    });
    return { csrPem: csr.pem, csrSha256: parseCsr(csr.der).fingerprintSha256 };
  }

  /**
   * A renewal's new key, beside the live pair: a key left by a renewal killed before its state
   * was written is dropped (no request was made from it), so every renewal makes its own. The
   * account step is skipped: the state goes on at `verify-email` with the method's slot kept.
   */
  async #prepareRenewalKey(start: RenewalStart): Promise<KeyObject> {
    const s = this.#s;
    const done = this.#current;
    if (done.step !== 'done') throw new Error('a renewal starts from a done state');
    await s.fs.unlink(s.paths.key).catch((error: unknown) => {
      if (!hasCode(error, 'ENOENT')) throw error;
    });
    const { privateKey: key } = await generateKeyPairAsync(s.keyType, s.signal ? { signal: s.signal } : {});
    await this.#writeKey(key);
    await this.#save({
      step: 'verify-email',
      caOrigin: done.caOrigin,
      names: start.names,
      request: this.#makeRequest(key, start.names),
      accountEmail: done.accountEmail,
      method: this.#slot(),
      renewal: start.record,
    });
    this.#renewal = undefined;
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
    const csr = parseCsr(state.request.csrPem);
    if (!Buffer.from(publicKeyDer(createPublicKey(key))).equals(Buffer.from(csr.publicKeyDer))) {
      throw new EnrollmentKeyError(`${paths.key} is not the key of the recorded request; remove ${paths.state} to start over`);
    }
    return key;
  }

  /** The method's account step; its state is written with the next step. */
  async #account(): Promise<void> {
    const { method, credentials } = this.#s;
    const state = this.#current;
    let accountEmail: string | null = null;
    if (method.ensureAccount === undefined) {
      this.#methodState = null;
    } else {
      const outcome = await method.ensureAccount({ ...this.#context(), request: this.#request(state), credentials });
      this.#methodState = outcome.state;
      accountEmail = outcome.accountEmail ?? null;
    }
    await this.#save({
      step: 'verify-email',
      caOrigin: state.caOrigin,
      names: state.names,
      request: state.request,
      accountEmail,
      method: this.#slot(),
      ...renewalOf(state),
    });
  }

  /**
   * Whether the method's account is still there; when not (removed from the keychain behind our
   * back), the state goes back to the account step rather than failing for good.
   */
  async #accountThere(): Promise<boolean> {
    const { method } = this.#s;
    if (method.hasAccount === undefined || (await method.hasAccount(this.#context()))) return true;
    const state = this.#current;
    await this.#save({ step: 'register', caOrigin: state.caOrigin, names: state.names, request: state.request, methodName: method.name, ...renewalOf(state) });
    return false;
  }

  /** The method's verification of the names (CAcert: each address to certify confirmed by an email ping). */
  async #verify(): Promise<void> {
    if (!(await this.#accountThere())) return;
    const { method } = this.#s;
    const state = this.#afterAccount;
    try {
      if (method.verify !== undefined) this.#methodState = await method.verify(this.#request(state), this.#context());
    } catch (error) {
      // Names no domain of the account can cover, or a domain the account can never hold (another
      // account's, or not a domain at all): this request can never be issued; the next call, with
      // other names, starts afresh instead of meeting a state made for these.
      if (error instanceof NameNotAllowedError || (error instanceof DomainRefusedError && PERMANENT_DOMAIN_REFUSALS.has(error.caCode))) {
        await this.#forgetRequest();
      }
      throw error;
    }
    await this.#save({ ...this.#accountKnown(state), step: 'submit' });
  }

  async #submit(): Promise<void> {
    if (!(await this.#accountThere())) return;
    const { method } = this.#s;
    const request = await this.#requestWithKeys(this.#current);
    // Ask before sending: the CA may have it from the registration, or from a run killed after
    // sending it. Methods without find rely on the CA answering a resent request from its store.
    const found = method.find === undefined ? undefined : await method.find(request, this.#context());
    if (found !== undefined) this.#s.emit({ type: 'request-found', status: found.status });
    const result = found ?? (await method.submit(request, this.#context()));
    await this.#record(result);
  }

  async #record(result: SubmitResult): Promise<void> {
    switch (result.status) {
      case 'issued':
        return this.#issued(result);
      case 'pending':
        // The secret comes with the pending answer, once: kept before the state moves on.
        if (result.revocationSecret !== undefined) await keepPendingRevocationSecret(this.#secretOwner(), result.requestId, result.revocationSecret);
        return this.#save({ ...this.#accountKnown(this.#afterAccount), step: 'await-issue', requestId: result.requestId });
      case 'rejected':
        await this.#forgetRequest();
        if (result.refusedNames !== undefined && result.refusedNames.length > 0) {
          throw new NameNotAllowedError(`the CA refused to certify ${result.refusedNames.join(', ')}: ${result.reason}`, {
            names: result.refusedNames,
            caCode: result.caCode,
            ...(result.httpStatus === undefined ? {} : { status: result.httpStatus }),
          });
        }
        throw new EnrollmentRejectedError(`the CA refused the request: ${result.reason}`, {
          caCode: result.caCode,
          reason: result.reason,
          ...(result.httpStatus === undefined ? {} : { status: result.httpStatus }),
        });
    }
  }

  async #issued(result: Pick<IssuedResult, 'certificatePem' | 'chainPem' | 'requestId' | 'revocationSecret'>): Promise<void> {
    // Kept before the state records the certificate: the CA hands the secret out once.
    await keepRevocationSecret(this.#secretOwner(), {
      serialHex: parseCertificate(result.certificatePem).serialNumberHex,
      ...(result.requestId === undefined ? {} : { requestId: result.requestId }),
      ...(result.revocationSecret === undefined ? {} : { revocationSecret: result.revocationSecret }),
    });
    await this.#save({
      ...this.#accountKnown(this.#afterAccount),
      step: 'install',
      requestId: result.requestId ?? null,
      certificate: { certificatePem: result.certificatePem, chainPem: result.chainPem },
    });
  }

  /** Whose revocation secrets this run keeps: this enrollment's, at its CA. */
  #secretOwner(): SecretOwner {
    const s = this.#s;
    return { credentials: s.credentials, caOrigin: s.caOrigin, name: s.name, ...(s.signal === undefined ? {} : { signal: s.signal }) };
  }

  async #awaitIssue(): Promise<void> {
    if (!(await this.#accountThere())) return;
    const s = this.#s;
    const state = this.#current;
    if (state.step !== 'await-issue') throw new Error('await-issue without a request id');
    const { signal, ...context } = this.#context();
    try {
      const issued = await submit(s.method, await this.#requestWithKeys(state), {
        ...s.waiting,
        requestId: state.requestId,
        ...(signal === undefined ? {} : { signal }),
        clock: s.clock,
        context,
        onEvent: (event) => s.emit({ type: 'enrollment', event }),
      });
      await this.#issued(issued);
    } catch (error) {
      if (error instanceof EnrollmentRejectedError) await this.#forgetRequest();
      throw error;
    }
  }

  /**
   * A refused request is dead: drop it and its key, so that the next call starts afresh. A
   * renewal's goes back to the done state it replaces (the old pair stays live and tracked),
   * written before the key goes: a run killed in between leaves a stray key the next renewal drops.
   */
  async #forgetRequest(): Promise<void> {
    const { fs, paths } = this.#s;
    const state = this.#state;
    const record = state?.renewal;
    if (state !== undefined && state.step !== 'register' && record?.replaces !== undefined) {
      const { replaces, ...rest } = record;
      await this.#save({
        step: 'done',
        caOrigin: state.caOrigin,
        names: replaces.names,
        request: replaces.request,
        accountEmail: state.accountEmail,
        method: this.#slot(),
        requestId: replaces.requestId,
        installedVersion: replaces.installedVersion,
        renewal: rest,
      });
      await fs.unlink(paths.key).catch((error: unknown) => {
        if (!hasCode(error, 'ENOENT')) throw error;
      });
      await syncDirectory(fs, paths.dir);
      return;
    }
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
    if (state.step !== 'install') throw new Error('install without a certificate');
    const { certificatePem, chainPem } = state.certificate;
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
            `the post-install command ${basename(s.postInstall.argv[0] ?? '')} failed; the certificate stays live and the command runs again on the next call`,
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
        chainPem,
        trustAnchorsPem: s.trustAnchorsPem,
        ...(s.pkcs12 === undefined ? {} : { pkcs12: s.pkcs12 }),
        ...(s.postInstall === undefined ? {} : { postInstall: s.postInstall }),
        ...(s.signal === undefined ? {} : { signal: s.signal }),
        // The flow's clock judges validity too: one clock for the whole run (a test moves it with the CA's).
        now: () => s.clock.now(),
        fs: s.fs,
      });
      version = installed.version;
    }
    await this.#save({
      ...this.#accountKnown(state),
      step: 'done',
      requestId: state.requestId,
      installedVersion: version,
      ...renewedRecord(state, certificatePem),
    });
    // The replaced certificate's secret can do nothing useful any more, unless the installer
    // asked for that certificate to be revoked (renew() forgets it once it is).
    const replaced = state.renewal;
    if (replaced?.replaces !== undefined && replaced.revokeAfterRenewal !== replaced.serialHex)
      await forgetRevocationSecret(this.#secretOwner(), replaced.serialHex);
    // The key now lives in archive/<name>/privkeyN.pem; the pending copy goes.
    await s.fs.unlink(s.paths.key).catch((error: unknown) => {
      if (!hasCode(error, 'ENOENT')) throw error;
    });
  }

  async #finished(): Promise<EnrollResult> {
    const s = this.#s;
    const state = this.#afterAccount;
    // A run killed between the last state write and the removal of the pending key.
    await s.fs.unlink(s.paths.key).catch((error: unknown) => {
      if (!hasCode(error, 'ENOENT')) throw error;
    });
    const installed = await readInstalled(s.baseDir, s.name, { fs: s.fs });
    if (installed === undefined) throw new StateFileError(`the state of "${s.name}" says installed, but ${join(s.baseDir, 'live', s.name)} is missing`);
    return {
      installed,
      ...(state.accountEmail === null ? {} : { accountEmail: state.accountEmail }),
      resumed: this.#resumed,
    };
  }

  #checkAbort(): void {
    const { signal } = this.#s;
    if (signal?.aborted) throw new RegistrationAbortedError('the enrollment was aborted', { cause: signal.reason });
  }
}

function checkOptions(options: EnrollFlowOptions): Settings {
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
  // A method may need another default (SCEP: RSA, the CA encrypts its answer to the key).
  const keyType = options.keyType ?? (options.method as EnrollmentMethod | undefined)?.defaultKeyType ?? 'p256';
  if (!KEY_TYPES.includes(keyType)) throw new TypeError(`keyType must be one of ${KEY_TYPES.join(', ')}`);
  const { credentials, method } = options;
  if (credentials === null || typeof credentials !== 'object' || typeof credentials.get !== 'function')
    throw new TypeError('credentials must be a CredentialStore');
  if (typeof options.trustAnchorsPem !== 'string' || !options.trustAnchorsPem.includes('-----BEGIN CERTIFICATE-----'))
    throw new TypeError('trustAnchorsPem must hold PEM certificates');
  checkMethod(method);
  if (options.postInstall !== undefined) checkPostInstallCommand(options.postInstall);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw new TypeError('onEvent must be a function');
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
    method,
    waiting: options.waiting ?? {},
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

/** The `renewal` field of `state`, to carry into the next state. */
function renewalOf(state: EnrollmentState): { renewal?: RenewalRecord } {
  return state.renewal === undefined ? {} : { renewal: state.renewal };
}

/**
 * The record of a renewal's done state: about the new certificate, no failures; a revocation of
 * the replaced certificate still to do stays, so that a run killed after the switch still does it.
 */
function renewedRecord(state: EnrollmentState, certificatePem: string): { renewal?: RenewalRecord } {
  const record = state.renewal;
  if (record === undefined) return {};
  return {
    renewal: {
      serialHex: parseCertificate(certificatePem).serialNumberHex.toLowerCase(),
      failures: 0,
      ...(record.droppedNames === undefined ? {} : { droppedNames: record.droppedNames }),
      ...(record.revokeAfterRenewal === undefined ? {} : { revokeAfterRenewal: record.revokeAfterRenewal }),
    },
  };
}

/** A method the flow can drive, its slot included: misuse is a `TypeError` before anything is touched. */
function checkMethod(method: EnrollmentMethod): void {
  if (method === null || typeof method !== 'object' || typeof method.submit !== 'function') throw new TypeError('method must be an EnrollmentMethod');
  if (typeof method.name !== 'string' || method.name === '' || method.name.length > 64)
    throw new TypeError('method.name must be a non-empty string of at most 64 characters');
  const version = method.stateVersion ?? 1;
  if (!Number.isSafeInteger(version) || version < 1) throw new TypeError(`method ${method.name}: stateVersion must be a positive integer`);
  if ((method.ensureAccount !== undefined || method.verify !== undefined) && typeof method.parseState !== 'function') {
    throw new TypeError(`method ${method.name}: a method with ensureAccount or verify keeps state, and needs parseState to read it back`);
  }
}
