/**
 * Renewal, as `certbot renew` and certmonger do it, built on the enrollment's step machine
 * (flow/enroll.ts): {@link renew} checks one tracked certificate and renews it when it is due,
 * {@link renewDue} does that for every tracked one.
 *
 * Due: from a point drawn at random (once per certificate, from its serial) in the window the
 * CA advises (`renewalWindow`, RFC 9773), else in the SDK's own window, from two thirds of the
 * lifetime to five sixths. Each renewal makes a new key beside the live pair, and `install`
 * switches to it only once the new certificate matches that key and chains to the pinned
 * anchors; the old pair stays live until then, and after any failure. A failure is recorded in
 * the state file with the next attempt (1 h doubling to 1 day, jittered), so that a timer that
 * runs twice a day does not hammer a CA that is down. Crash-safe as `enroll()`: every step ends
 * with an atomic state write, and a rerun continues a renewal where it stopped.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { importPrivateKeyPem, parseCertificate, type Certificate, type KeyType } from '@certwizard/pki';
import type { EnrollmentMethod, MethodContext, RenewalWindow } from '../enroll/enrollment-method.js';
import { isNameWithinDomain } from '@certwizard/protocol';
import { DomainRefusedError, EnrollmentTimeoutError, NameNotAllowedError } from '../enroll/errors.js';
import { RegistrationAbortedError } from '../errors.js';
import { nodeFileSystem } from '../install/file-system.js';
import type { InstalledCertificate } from '../install/installed-certificate.js';
import { hasCode } from '../install/layout.js';
import { readInstalled } from '../install/read-installed.js';
import { systemClock } from '../registration/clock.js';
import { acquireEnrollmentLock } from './enrollment-lock.js';
import { PERMANENT_DOMAIN_REFUSALS, runLockedFlow, type EnrollFlowEvent, type EnrollFlowOptions, type RenewalStart } from './enroll.js';
import { NotEnrolledError, NotInstalledError, RenewalAccountMissingError } from './errors.js';
import { listEnrollments, type EnrollmentSummary } from './list-enrollments.js';
import { dueTimeIn, nextAttemptAfter, ownWindow, type DueSource, type RenewalFailure, type RenewalRecord } from './renewal-record.js';
import { forgetRevocationSecret } from './revocation-secrets.js';
import { methodOfEnrollment } from './slot-method.js';
import { readState, statePaths, writeState, type DoneState, type EnrollmentState, type StatePaths } from './state-file.js';

/** What the installer is asked when the CA no longer certifies some of a certificate's names for the account. */
export interface NamesDroppedQuestion {
  /** The enrollment's name. */
  readonly name: string;
  /** The names the CA refused: the renewed certificate leaves them out. */
  readonly droppedNames: readonly string[];
  /** The live certificate that still carries them. */
  readonly certificate: InstalledCertificate;
  /** Its serial number, lower-case hex. */
  readonly serialHex: string;
}

/**
 * What the installer answers: `revoke` the certificate that still carries the dropped names
 * once the renewed one is live (reason `cessationOfOperation`), or `keep` it until it expires.
 */
export type NamesDroppedAnswer = 'revoke' | 'keep';

/** Progress of {@link renew} and {@link renewDue}, for a log or a wizard: never carries a secret. */
export type RenewEvent =
  /** The certificate is due (or `forced`): a renewal starts, or continues (`resumed`). */
  | {
      readonly type: 'renewal-due';
      readonly name: string;
      readonly dueAt: Date;
      readonly source: DueSource;
      readonly forced: boolean;
      readonly resumed: boolean;
    }
  /** The renewed certificate is live (the post-install command ran). */
  | { readonly type: 'renewed'; readonly name: string; readonly installed: InstalledCertificate; readonly previousSerialHex: string }
  /** The attempt failed; the old pair stays live and the next attempt waits until `nextAttemptAt`. */
  | {
      readonly type: 'renewal-failed';
      readonly name: string;
      readonly code: string;
      readonly message: string;
      readonly failures: number;
      readonly nextAttemptAt: Date;
    }
  /** The CA no longer certifies these names for the account; the installer's answer. */
  | { readonly type: 'names-dropped'; readonly name: string; readonly droppedNames: readonly string[]; readonly answer: NamesDroppedAnswer }
  /** The replaced certificate that carried dropped names was revoked (`already` when it was before). */
  | { readonly type: 'dropped-revoked'; readonly name: string; readonly serialHex: string; readonly already: boolean }
  /** A step of the enrollment flow the renewal runs through. */
  | { readonly type: 'flow'; readonly name: string; readonly event: EnrollFlowEvent };

/** What became of one certificate. */
export type RenewOutcome =
  /** Not due before `dueAt`; nothing was sent (but the CA's renewal window, when the method asks it). */
  | { readonly name: string; readonly status: 'not-due'; readonly dueAt: Date; readonly dueSource: DueSource }
  /** Renewed: the new certificate is live. */
  | {
      readonly name: string;
      readonly status: 'renewed';
      readonly installed: InstalledCertificate;
      /** Serial of the certificate it replaced, lower-case hex. */
      readonly previousSerialHex: string;
      /** Names left out because the CA no longer certifies them for the account. */
      readonly droppedNames?: readonly string[];
      /** Serial of the replaced certificate revoked for carrying dropped names, when the installer said so. */
      readonly revokedSerialHex?: string;
    }
  /** An earlier attempt failed and the next one is not due yet (`force` tries anyway). */
  | { readonly name: string; readonly status: 'backing-off'; readonly nextAttemptAt: Date; readonly lastFailure?: RenewalFailure }
  /** The new request waits for the account owner's approval at the CA; the next run continues it. */
  | { readonly name: string; readonly status: 'pending'; readonly requestId?: string }
  /** The attempt failed: the old pair stays live, the failure is recorded, the next attempt waits until `nextAttemptAt`. */
  | {
      readonly name: string;
      readonly status: 'failed';
      /** What was thrown: an SDK error with its code, mostly. */
      readonly error: unknown;
      readonly code: string;
      readonly message: string;
      readonly failures: number;
      readonly nextAttemptAt?: Date;
    }
  /** Nothing to renew: the enrollment is not finished, its live certificate is gone, it was revoked, or its state cannot be read. */
  | { readonly name: string; readonly status: 'skipped'; readonly reason: 'not-installed' | 'revoked' | 'unreadable'; readonly message: string };

/** Options of {@link renew}: `enroll()`'s, without what the state file already says. */
export interface RenewOptions extends Omit<EnrollFlowOptions, 'caUrl' | 'names' | 'method' | 'keyType' | 'onEvent'> {
  /** The CA's base URL. Default: the origin the enrollment recorded. */
  readonly caUrl?: string;
  /**
   * The method the enrollment used (the state file's slot names it; another is refused,
   * `ERR_SDK_STATE_MISMATCH`). Default: the built-in one the slot names, `cacert` (the
   * installation token in `credentials`) or `ssl-api` (the client hash from `sslApiClient`, else
   * from `credentials` under `sslApiClientKey(<CA origin>)`).
   */
  readonly method?: EnrollmentMethod;
  /** The ssl_api client hash, for the default method of an `ssl-api` enrollment. Default: from `credentials`. */
  readonly sslApiClient?: string;
  /** The new key's type. Default: the live key's. */
  readonly keyType?: KeyType;
  /** Renew even when not due, and even while backing off after a failure. Default false. */
  readonly force?: boolean;
  /**
   * Asked when the CA no longer certifies some of the names for the account (it refused them,
   * `name_not_allowed`): the renewal leaves them out either way; the answer says whether the
   * certificate that still carries them is revoked once the renewed one is live. Default:
   * `keep` (never revoked silently).
   */
  readonly onNamesDropped?: (question: NamesDroppedQuestion) => Promise<NamesDroppedAnswer>;
  /** Progress. What it throws is ignored. */
  readonly onEvent?: (event: RenewEvent) => void;
  /** Draws the back-off's jitter, in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
}

/** Options of {@link renewDue}: those of {@link renew} for every tracked certificate. */
export interface RenewDueOptions extends Omit<RenewOptions, 'name' | 'method' | 'trustAnchorsPem' | 'caUrl'> {
  /** The method of each enrollment (its state's `method`), or one for all. Default: the built-in one each state's slot names. */
  readonly method?: EnrollmentMethod | ((enrollment: EnrollmentSummary) => EnrollmentMethod);
  /** The pinned CA certificate(s), PEM, for all, or per enrollment. */
  readonly trustAnchorsPem: string | ((enrollment: EnrollmentSummary) => string);
}

/**
 * Checks the tracked certificate `name` and renews it when it is due (or `force`), under the
 * enrollment's lock. A renewal under way (killed, failed, or waiting for approval) is continued
 * whatever the schedule says. A failed attempt is not thrown: it resolves `failed` with the
 * error, recorded in the state file (`list` and `status` show it) with the next attempt.
 *
 * @throws {TypeError} for bad options.
 * @throws {NotEnrolledError} `ERR_SDK_NOT_ENROLLED` when no enrollment of that name is tracked.
 * @throws {EnrollmentLockedError} `ERR_SDK_ENROLLMENT_LOCKED` when another run works on it.
 * @throws {StateFileError} `ERR_SDK_STATE_FILE` for a state file that cannot be read; the signal's abort (`ERR_SDK_ABORTED`).
 * @example
 * const outcome = await renew({ name: 'mail', baseDir, credentials, trustAnchorsPem, postInstall: { argv: ['/usr/sbin/postfix', 'reload'] } });
 * if (outcome.status === 'failed') console.error(outcome.code, outcome.message);
 */
export async function renew(options: RenewOptions): Promise<RenewOutcome> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  if (typeof options.baseDir !== 'string' || options.baseDir === '') throw new TypeError('baseDir must be a path');
  // Misuse is refused before anything is read, not recorded as a failed renewal.
  if (typeof options.trustAnchorsPem !== 'string' || !options.trustAnchorsPem.includes('-----BEGIN CERTIFICATE-----'))
    throw new TypeError('trustAnchorsPem must hold PEM certificates');
  const paths = statePaths(options.stateDir ?? join(options.baseDir, 'enrollments'), options.name);
  const lock = await acquireEnrollmentLock(paths.dir, options.name, {
    folders: [options.baseDir, paths.dir],
    waitMs: options.lockWaitMs,
    clock: options.clock ?? systemClock,
    signal: options.signal,
  });
  try {
    return await new Renewal(options, paths).run();
  } finally {
    await lock.release();
  }
}

/**
 * Runs {@link renew} for every tracked certificate (`listEnrollments`), one after the other, each
 * under its own lock: one that fails (or is locked by another run) does not stop the others.
 * Resolves with one outcome per certificate, sorted by name.
 *
 * @throws {TypeError} for bad options; the signal's abort (`ERR_SDK_ABORTED`) stops the round.
 * @example
 * for (const o of await renewDue({ baseDir, credentials, trustAnchorsPem })) console.log(o.name, o.status);
 */
export async function renewDue(options: RenewDueOptions): Promise<RenewOutcome[]> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { method, trustAnchorsPem, ...rest } = options;
  const enrollments = await listEnrollments({ baseDir: options.baseDir, ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }) });
  const outcomes: RenewOutcome[] = [];
  for (const enrollment of enrollments) {
    const { name } = enrollment;
    if (enrollment.problem !== undefined) {
      outcomes.push({ name, status: 'skipped', reason: 'unreadable', message: enrollment.problem });
      continue;
    }
    try {
      outcomes.push(
        await renew({
          ...rest,
          name,
          trustAnchorsPem: typeof trustAnchorsPem === 'function' ? trustAnchorsPem(enrollment) : trustAnchorsPem,
          ...(method === undefined ? {} : { method: typeof method === 'function' ? method(enrollment) : method }),
        }),
      );
    } catch (error) {
      if (options.signal?.aborted) throw error;
      outcomes.push(failedOutcome(name, error, 0, undefined));
    }
  }
  return outcomes;
}

/** The stable code of what was thrown: an SDK error's, else `ERR_SDK`. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERR_SDK';
}

function failedOutcome(name: string, error: unknown, failures: number, nextAttemptAt: Date | undefined): RenewOutcome {
  return {
    name,
    status: 'failed',
    error,
    code: codeOf(error),
    message: error instanceof Error ? error.message : String(error),
    failures,
    ...(nextAttemptAt === undefined ? {} : { nextAttemptAt }),
  };
}

/** Most names-dropped rounds in one run: the first refusal names them, the second attempt goes without. */
const MAX_ATTEMPTS_PER_RUN = 2;

/** One renewal check, under the lock. */
class Renewal {
  readonly #o: RenewOptions;
  readonly #paths: StatePaths;
  readonly #name: string;
  readonly #fs;
  readonly #clock;

  constructor(options: RenewOptions, paths: StatePaths) {
    this.#o = options;
    this.#paths = paths;
    this.#name = options.name;
    this.#fs = options.fs ?? nodeFileSystem;
    this.#clock = options.clock ?? systemClock;
  }

  #emit(event: RenewEvent): void {
    try {
      this.#o.onEvent?.(event);
    } catch {
      // A broken progress display must not break the renewal.
    }
  }

  async #read(): Promise<EnrollmentState> {
    const state = await readState(this.#fs, this.#paths);
    if (state === undefined) throw new NotEnrolledError(`no enrollment named "${this.#name}" is tracked in ${this.#paths.dir}`, this.#name);
    return state;
  }

  async #write(state: EnrollmentState, renewal: RenewalRecord): Promise<void> {
    const { version: _version, updatedAt: _updatedAt, ...draft } = state;
    await writeState(this.#fs, this.#paths, { ...draft, renewal }, this.#clock.now());
  }

  async run(): Promise<RenewOutcome> {
    const name = this.#name;
    const state = await this.#read();
    const now = this.#clock.now();
    const record = state.renewal;
    const force = this.#o.force === true;
    if (state.step !== 'done') {
      if (record?.replaces === undefined)
        return { name, status: 'skipped', reason: 'not-installed', message: `the enrollment of "${name}" is not finished (next step: ${state.step})` };
      // A renewal under way: continue it, unless it failed a moment ago.
      const backingOff = this.#backingOff(record, now, force);
      if (backingOff !== undefined) return backingOff;
      this.#emit({ type: 'renewal-due', name, dueAt: new Date(record.dueAt ?? now), source: record.dueSource ?? 'lifetime', forced: force, resumed: true });
      return this.#attempt(state, undefined, record.serialHex);
    }
    if (state.revoked !== undefined) return { name, status: 'skipped', reason: 'revoked', message: `the certificate of "${name}" was revoked` };
    // A pending key of a renewal killed before its first state write, or after its last (the
    // copy of the key now in archive/): no request waits on it, and a private key lies about.
    await this.#fs.unlink(this.#paths.key).catch((error: unknown) => {
      if (!hasCode(error, 'ENOENT')) throw error;
    });
    const live = await this.#live();
    if (live === undefined)
      return { name, status: 'skipped', reason: 'not-installed', message: `nothing is live under ${join(this.#o.baseDir, 'live', name)}` };
    const serialHex = live.certificate.serialNumberHex.toLowerCase();
    // A record about an earlier certificate (the state's last renewal) starts afresh for this one.
    let current: RenewalRecord = record?.serialHex === serialHex ? record : { serialHex, failures: 0, ...carried(record) };
    const revoked = await this.#revokeDropped(state, current);
    if (revoked !== undefined) current = revoked;
    const { dueAt, source } = await this.#dueOf(state, live.certificate);
    if (current.dueAt !== dueAt.toISOString() || current.dueSource !== source || current !== record) {
      current = { ...current, dueAt: dueAt.toISOString(), dueSource: source };
      await this.#write(state, current);
    }
    if (!force && now < dueAt.getTime()) return { name, status: 'not-due', dueAt, dueSource: source };
    const backingOff = this.#backingOff(current, now, force);
    if (backingOff !== undefined) return backingOff;
    this.#emit({ type: 'renewal-due', name, dueAt, source, forced: force && now < dueAt.getTime(), resumed: false });
    return this.#attempt(state, this.#start(state, current), serialHex);
  }

  #backingOff(record: RenewalRecord, now: number, force: boolean): RenewOutcome | undefined {
    if (force || record.nextAttemptAt === undefined || Date.parse(record.nextAttemptAt) <= now) return undefined;
    return {
      name: this.#name,
      status: 'backing-off',
      nextAttemptAt: new Date(record.nextAttemptAt),
      ...(record.lastFailure === undefined ? {} : { lastFailure: record.lastFailure }),
    };
  }

  /** How a renewal starts from `done`: the names still certified, and the record with what it replaces. */
  #start(done: DoneState, record: RenewalRecord): RenewalStart {
    const dropped = new Set(record.droppedNames ?? []);
    return {
      names: { email: done.names.email.filter((n) => !dropped.has(n)), dns: done.names.dns.filter((n) => !dropped.has(n)) },
      record: { ...record, replaces: { installedVersion: done.installedVersion, requestId: done.requestId, request: done.request, names: done.names } },
    };
  }

  /** The live certificate and key (the key for the new key's type), or `undefined` when nothing is live. */
  async #live(): Promise<{ installed: InstalledCertificate; certificate: Certificate; key: KeyObject } | undefined> {
    const installed = await readInstalled(this.#o.baseDir, this.#name, { fs: this.#fs });
    if (installed === undefined) return undefined;
    const certificate = parseCertificate((await this.#fs.readFile(installed.paths.cert)).toString('utf8'));
    const key = importPrivateKeyPem((await this.#fs.readFile(installed.paths.privkey)).toString('utf8'));
    return { installed, certificate, key };
  }

  /**
   * When the live certificate is due: a point of the CA's window (the method's `renewalWindow`),
   * else of the own window. A CA that cannot be asked now does not stop the check: the own rule
   * applies until it answers again.
   */
  async #dueOf(state: EnrollmentState, certificate: Certificate): Promise<{ dueAt: Date; source: DueSource }> {
    const method = await this.#method(state);
    let window: RenewalWindow | undefined;
    if (method.renewalWindow !== undefined) {
      try {
        window = await method.renewalWindow(
          { certificatePem: certificate.pem, notBefore: certificate.notBefore, notAfter: certificate.notAfter },
          this.#context(),
        );
      } catch (error) {
        if (this.#o.signal?.aborted) throw error;
        window = undefined;
      }
    }
    const source: DueSource = window === undefined ? 'lifetime' : 'ca';
    return { dueAt: dueTimeIn(window ?? ownWindow(certificate.notBefore, certificate.notAfter), certificate.serialNumberHex), source };
  }

  #methodCache: EnrollmentMethod | undefined;

  /** The method of this enrollment: the caller's, or the built-in one its slot names. */
  async #method(state: EnrollmentState): Promise<EnrollmentMethod> {
    this.#methodCache ??=
      state.step === 'register'
        ? await methodOfEnrollment(state.methodName, state.caOrigin, { ...this.#o, name: this.#name })
        : await methodOfEnrollment(state.method.name, state.caOrigin, { ...this.#o, name: this.#name }, state.method);
    return this.#methodCache;
  }

  /** The context of the method's own calls (renewal window, revocation): no state, which neither needs. */
  #context(): MethodContext {
    const o = this.#o;
    return {
      ...(o.signal === undefined ? {} : { signal: o.signal }),
      credentials: o.credentials,
      ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
      clock: this.#clock,
    };
  }

  /** The flow's options for this enrollment, from the state and the caller's options. */
  async #flowOptions(state: EnrollmentState, keyType: KeyType): Promise<EnrollFlowOptions> {
    const {
      force: _force,
      onNamesDropped: _ask,
      onEvent: _onEvent,
      random: _random,
      caUrl,
      method: _method,
      keyType: _keyType,
      sslApiClient: _sslApiClient,
      ...rest
    } = this.#o;
    const name = this.#name;
    return {
      ...rest,
      caUrl: caUrl ?? state.caOrigin,
      names: state.names,
      keyType,
      method: await this.#method(state),
      lockWaitMs: 0,
      onEvent: (event) => this.#emit({ type: 'flow', name, event }),
    };
  }

  /**
   * Runs the flow: from `done` with `start`, or the renewal under way without. The CA's
   * `name_not_allowed` drops those names and asks the installer about the old certificate, then
   * tries once more without them.
   */
  async #attempt(state: EnrollmentState, start: RenewalStart | undefined, previousSerialHex: string): Promise<RenewOutcome> {
    const name = this.#name;
    let current = state;
    let next = start;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#accountThere(current);
        if (next !== undefined && attempt === 1 && current.step === 'done') next = await this.#lostBeforehand(current, next);
        const keyType = this.#o.keyType ?? (await this.#liveKeyType()) ?? 'p256';
        await runLockedFlow(await this.#flowOptions(current, keyType), next);
        return await this.#renewed(previousSerialHex);
      } catch (error) {
        if (error instanceof RegistrationAbortedError || this.#o.signal?.aborted) throw error;
        if (error instanceof EnrollmentTimeoutError)
          return { name, status: 'pending', ...(error.requestId === undefined ? {} : { requestId: error.requestId }) };
        const back = await this.#read().catch(() => undefined);
        const dropped = droppedBy(error, current.names.dns);
        if (dropped !== undefined && attempt < MAX_ATTEMPTS_PER_RUN && back?.step === 'done') {
          const again = await this.#namesDropped(back, dropped);
          if (again !== undefined) {
            current = back;
            next = again;
            continue;
          }
        }
        return this.#failed(error, back);
      }
    }
  }

  /**
   * The CA refused `names` for the account: they are left out of the renewal (recorded, so every
   * later renewal leaves them out), and the installer says whether the certificate that still
   * carries them is revoked once the renewed one is live. Nothing left to certify: `undefined`.
   */
  async #namesDropped(done: DoneState, names: readonly string[]): Promise<RenewalStart | undefined> {
    const record = done.renewal;
    const live = await this.#live();
    if (record === undefined || live === undefined) return undefined;
    const droppedNames = [...new Set([...(record.droppedNames ?? []), ...names])];
    const remaining = [...done.names.email, ...done.names.dns].filter((n) => !droppedNames.includes(n));
    if (remaining.length === 0) return undefined;
    let answer: NamesDroppedAnswer = 'keep';
    if (this.#o.onNamesDropped !== undefined) {
      const given = await this.#o.onNamesDropped({ name: this.#name, droppedNames, certificate: live.installed, serialHex: record.serialHex });
      if (given === 'revoke') answer = 'revoke';
    }
    this.#emit({ type: 'names-dropped', name: this.#name, droppedNames, answer });
    const updated: RenewalRecord = { ...record, droppedNames, ...(answer === 'revoke' ? { revokeAfterRenewal: record.serialHex } : {}) };
    await this.#write(done, updated);
    return this.#start({ ...done, renewal: updated }, updated);
  }

  /**
   * Asks the method, before the renewal's request is made, which names the account lost (CAcert:
   * addresses `cemails` no longer lists): they are dropped as a refusal drops them (recorded, the
   * installer asked), rather than verified again, which would ping an address that is not the
   * account's any more and fail the renewal.
   * @throws {NameNotAllowedError} `ERR_SDK_NAME_NOT_ALLOWED` when no name is left: the old pair stays.
   */
  async #lostBeforehand(done: DoneState, start: RenewalStart): Promise<RenewalStart> {
    const method = await this.#method(done);
    if (method.namesNoLongerAllowed === undefined) return start;
    const lost = await method.namesNoLongerAllowed(start.names, this.#context());
    if (lost.length === 0) return start;
    const { replaces: _replaces, ...record } = start.record;
    const again = await this.#namesDropped({ ...done, renewal: record }, lost);
    if (again !== undefined) return again;
    throw new NameNotAllowedError(
      `the account no longer holds ${lost.join(', ')}, and nothing else of "${this.#name}" is left to renew; the current certificate stays live until it expires`,
      { names: lost },
    );
  }

  /**
   * The account the renewal needs must still be there: the flow would go back to the account
   * step (CAcert: a registration in the browser), which a timer cannot finish.
   */
  async #accountThere(state: EnrollmentState): Promise<void> {
    const method = await this.#method(state);
    if (method.hasAccount === undefined || (await method.hasAccount(this.#context()))) return;
    throw new RenewalAccountMissingError(
      `the account "${this.#name}" was enrolled with is not in the credential store any more (the method "${method.name}" has no account to renew with)`,
      this.#name,
    );
  }

  /** The type of the live key, so that a renewal keeps it. */
  async #liveKeyType(): Promise<KeyType | undefined> {
    const installed = await readInstalled(this.#o.baseDir, this.#name, { fs: this.#fs }).catch(() => undefined);
    if (installed === undefined) return undefined;
    return keyTypeOf(importPrivateKeyPem((await this.#fs.readFile(installed.paths.privkey)).toString('utf8')));
  }

  async #renewed(previousSerialHex: string): Promise<RenewOutcome> {
    const name = this.#name;
    const done = await this.#read();
    const installed = await readInstalled(this.#o.baseDir, name, { fs: this.#fs });
    if (installed === undefined) throw new NotInstalledError(`the renewal of "${name}" finished, but nothing is live`, { enrollment: name, step: done.step });
    this.#emit({ type: 'renewed', name, installed, previousSerialHex });
    // The replaced certificate that carries dropped names goes only now that the renewed one is live.
    const record = done.renewal;
    let revokedSerialHex: string | undefined;
    if (record?.revokeAfterRenewal !== undefined) {
      const after = await this.#revokeDropped(done, record);
      if (after !== undefined && after.revokeAfterRenewal === undefined) revokedSerialHex = record.revokeAfterRenewal;
    }
    return {
      name,
      status: 'renewed',
      installed,
      previousSerialHex,
      ...(record?.droppedNames === undefined ? {} : { droppedNames: record.droppedNames }),
      ...(revokedSerialHex === undefined ? {} : { revokedSerialHex }),
    };
  }

  /**
   * Revokes the replaced certificate that carries dropped names, once the renewed one is live,
   * and clears the order (a failure keeps it for the next run). Returns the record as it is now.
   */
  async #revokeDropped(state: EnrollmentState, record: RenewalRecord): Promise<RenewalRecord | undefined> {
    const serialHex = record.revokeAfterRenewal;
    if (state.step !== 'done' || serialHex === undefined || serialHex === record.serialHex) return undefined;
    const method = await this.#method(state);
    if (method.revoke === undefined) return record;
    try {
      const result = await method.revoke({ serialHex, reason: 'cessationOfOperation' }, this.#context());
      this.#emit({ type: 'dropped-revoked', name: this.#name, serialHex, already: result.status === 'already_revoked' });
    } catch (error) {
      if (this.#o.signal?.aborted) throw error;
      return record;
    }
    const { revokeAfterRenewal: _done, ...rest } = record;
    await this.#write(state, rest);
    await forgetRevocationSecret(
      { credentials: this.#o.credentials, caOrigin: state.caOrigin, name: this.#name, ...(this.#o.signal === undefined ? {} : { signal: this.#o.signal }) },
      serialHex,
    );
    return rest;
  }

  /** Records a failed attempt in the state as it is now (the renewal under way, or the done state it fell back to). */
  async #failed(error: unknown, state: EnrollmentState | undefined): Promise<RenewOutcome> {
    const name = this.#name;
    const record = state?.renewal;
    if (state === undefined || record === undefined) return failedOutcome(name, error, 0, undefined);
    const now = this.#clock.now();
    const failures = record.failures + 1;
    const nextAttemptAt = nextAttemptAfter(failures, now, this.#o.random);
    const failure: RenewalFailure = { code: codeOf(error), message: error instanceof Error ? error.message : String(error), at: new Date(now).toISOString() };
    try {
      await this.#write(state, { ...record, failures, nextAttemptAt: nextAttemptAt.toISOString(), lastFailure: failure });
    } catch {
      // The failure could not be recorded (the disk that failed the renewal): the next run tries at once.
    }
    this.#emit({ type: 'renewal-failed', name, code: failure.code, message: failure.message, failures, nextAttemptAt });
    return failedOutcome(name, error, failures, nextAttemptAt);
  }
}

/**
 * The names a refusal says are no longer the account's: those the CA refused
 * (`name_not_allowed`), or the DNS names under a domain the account can no longer hold (another
 * account verified it, `domain_taken`; or it is no domain an account may hold). `undefined` for
 * any other error.
 */
function droppedBy(error: unknown, dns: readonly string[]): readonly string[] | undefined {
  if (error instanceof NameNotAllowedError) return error.names;
  if (error instanceof DomainRefusedError && PERMANENT_DOMAIN_REFUSALS.has(error.caCode)) {
    const names = dns.filter((name) => isNameWithinDomain(name, error.domain));
    return names.length === 0 ? undefined : names;
  }
  return undefined;
}

/** What a fresh record for a new live certificate keeps of the last one: the names dropped, and a revocation still to do. */
function carried(record: RenewalRecord | undefined): Partial<RenewalRecord> {
  if (record === undefined) return {};
  return {
    ...(record.droppedNames === undefined ? {} : { droppedNames: record.droppedNames }),
    ...(record.revokeAfterRenewal === undefined ? {} : { revokeAfterRenewal: record.revokeAfterRenewal }),
  };
}

/** The {@link KeyType} of a private key, or `undefined` for one the SDK does not make. */
export function keyTypeOf(key: KeyObject): KeyType | undefined {
  const details = createPublicKey(key).asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'ec':
      return details?.namedCurve === 'prime256v1' ? 'p256' : details?.namedCurve === 'secp384r1' ? 'p384' : undefined;
    case 'rsa': {
      const bits = details?.modulusLength;
      return bits === 2048 ? 'rsa2048' : bits === 3072 ? 'rsa3072' : bits === 4096 ? 'rsa4096' : undefined;
    }
    default:
      return undefined;
  }
}
