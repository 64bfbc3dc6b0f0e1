/**
 * `revoke()`: the installer's side of revocation. The CA revokes the live certificate of an
 * enrollment, its live files are moved aside (never deleted), and the state file records it, so
 * that `listEnrollments()` (`certwizard list`, `status`) shows it as revoked.
 *
 * Crash safety, each step harmless to repeat, under the enrollment's lock (so a revocation never
 * races an `enroll()` or a renewal of the same name):
 *
 * - ask the CA (RFC 5280 §5.3.1 reason): a CA that revoked it before answers `already_revoked`,
 *   which counts as done, so a run killed after the CA's answer simply asks again;
 * - record `revoked` in the state (atomic write) BEFORE the move: a run killed between the two
 *   finds the record and `live/<name>` still there with that serial, and finishes the move
 *   without asking the CA again;
 * - move `live/<name>` to `revoked/<name>-<serial>` in one rename(2) (install/retire-live.ts);
 * - remove a pending key file left over in the state folder when it is the revoked
 *   certificate's key, so that no later run takes it up (see `keyCompromise` below).
 *
 * A run after the move finds the record and no live link: it answers the record, touching
 * nothing (idempotent).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { importPrivateKeyPem, parseCertificate } from '@certwizard/pki';
import { isRevocationReason, type RevocationReasonName, type RevocationStatus } from '@certwizard/protocol';
import type { CredentialStore } from '../credentials/credential-store.js';
import { CredentialStoreError } from '../credentials/errors.js';
import { RevocationRefusedError } from '../enroll/errors.js';
import { revokeWithKey } from '../enroll/revoke-with-key.js';
import { revokeWithSecret } from '../enroll/revoke-with-secret.js';
import type { EnrollmentMethod, MethodContext } from '../enroll/enrollment-method.js';
import type { MethodEvent } from '../enroll/method-event.js';
import { RegistrationAbortedError } from '../errors.js';
import { nodeFileSystem, type InstallFileSystem } from '../install/file-system.js';
import { hasCode, INSTALL_NAME_PATTERN } from '../install/layout.js';
import { readInstalled } from '../install/read-installed.js';
import { retiredPath, retireLive } from '../install/retire-live.js';
import { systemClock, type Clock } from '../registration/clock.js';
import { acquireEnrollmentLock } from './enrollment-lock.js';
import { methodOfEnrollment } from './slot-method.js';
import { forgetRevocationSecret, revocationSecretOf, type SecretOwner } from './revocation-secrets.js';
import { NotEnrolledError, NotInstalledError, StateFileError, StateMismatchError } from './errors.js';
import { type DoneState, keySha256, readState, removeStaleTemporaries, type RevokedRecord, statePaths, syncDirectory, writeState } from './state-file.js';

/** Options of {@link revoke}: the enrollment's folders and name as `enroll()` got them, and why. */
export interface RevokeOptions {
  /** Where certificates are installed (`archive/`, `live/`; `revoked/` is made beside them). */
  readonly baseDir: string;
  /** Where the state file lives. Default: `<baseDir>/enrollments`. */
  readonly stateDir?: string;
  /** The enrollment's name (`live/<name>`, `<stateDir>/<name>.json`). */
  readonly name: string;
  /**
   * Why, by its RFC 5280 §5.3.1 name (one a holder may give, `REVOCATION_REASONS`):
   * `keyCompromise` when the private key may be known to anyone else, `superseded`,
   * `cessationOfOperation`, `affiliationChanged`. Default `unspecified`.
   */
  readonly reason?: RevocationReasonName;
  /**
   * The method that asks the CA. Default: the one the enrollment used, by its state's method
   * slot: `cacert` (the installation token in `credentials`) or `ssl-api` (the client hash from
   * `sslApiClient`, else from `credentials` under `sslApiClientKey(<CA origin>)`). A method of
   * your own must be passed; its `name` must be the slot's.
   */
  readonly method?: EnrollmentMethod;
  /** The credential store the enrollment used (the CAcert installation token lives there). */
  readonly credentials: CredentialStore;
  /** The ssl_api client hash, for the default method of an `ssl-api` enrollment. Default: from `credentials`. */
  readonly sslApiClient?: string;
  /** The CA's base URL. Default: the origin the state file records (it must be that origin when given). */
  readonly caUrl?: string;
  /** Aborts the run before the CA is asked, or while it is; the state keeps what was done. */
  readonly signal?: AbortSignal;
  /** The `fetch` of the request to the CA (handed to the method). Default: the global one. */
  readonly fetch?: typeof fetch;
  /** Progress: never carries a secret. What it throws is ignored. */
  readonly onEvent?: (event: RevokeEvent) => void;
  /** Clock of the recorded time and of waits. Default: the system clock. */
  readonly clock?: Clock;
  /** File-system seam (state file, the move). Default: node:fs. */
  readonly fs?: InstallFileSystem;
  /** How long to wait, in ms, for another run working on this enrollment (see `enroll()`'s `lockWaitMs`). Default 0. */
  readonly lockWaitMs?: number;
}

/** Progress of {@link revoke}. */
export type RevokeEvent =
  /** The CA is asked to revoke the live certificate. */
  | { readonly type: 'revoking'; readonly name: string; readonly serialHex: string; readonly reason: RevocationReasonName }
  /** The method could not (`reason` says why, never a secret): the certificate's kept revocation secret is used instead. */
  | { readonly type: 'revoking-with-secret'; readonly name: string; readonly reason: string }
  /** The method could not, and no kept secret did (`reason` says why, never a secret): the request is signed with the live key instead. */
  | { readonly type: 'revoking-with-key'; readonly name: string; readonly reason: string }
  /** Done: revoked at the CA, recorded, and the live files moved aside (also when an earlier run had done it all). */
  | {
      readonly type: 'revoked';
      readonly name: string;
      readonly serialHex: string;
      readonly reason: string;
      readonly revokedAt: string;
      /** Where `live/<name>` went, absolute. */
      readonly movedTo: string;
      /** `true` when an earlier run had finished it all, and this one changed nothing. */
      readonly alreadyDone: boolean;
    }
  | MethodEvent;

/** What {@link revoke} resolves with. */
export interface RevokeResult {
  readonly name: string;
  /** The revoked certificate's serial number, lower-case hex. */
  readonly serialHex: string;
  /** The reason recorded. */
  readonly reason: string;
  /** When the CA confirmed it (this run or an earlier one). */
  readonly revokedAt: Date;
  /**
   * What the CA answered this run: `revoked`, `already_revoked`, or `undefined` when the CA was
   * not asked (an earlier run had its answer recorded).
   */
  readonly caStatus: RevocationStatus | undefined;
  /** Where the live set went, absolute: `<baseDir>/revoked/<name>-<serial>` (its `cert.pem`, `privkey.pem`...). */
  readonly movedTo: string;
  /** `true` when an earlier run had finished it all, and this one changed nothing. */
  readonly alreadyDone: boolean;
}

/**
 * Revokes the live certificate of enrollment `name` at its CA, moves `live/<name>` aside to
 * `revoked/<name>-<serial>` (a server configured with `live/<name>/...` no longer finds it; the
 * archived files stay), records `revoked` (serial, reason, time, where, the key's SHA-256) in
 * the state file, and emits `revoked`. Idempotent: run it again after a crash, a kill or an
 * abort, and it finishes what is left; run it after it finished, and it answers the record.
 *
 * With `keyCompromise` (and any other reason), the revoked key is never taken up again: a
 * pending key file of that key left in the state folder is removed; the archived copy stays
 * beside the revoked certificate (it is evidence, and never live again: `live/<name>` is gone,
 * and `install()` always makes a new version); `enroll()` and renewals make a new key for every
 * request; and the record keeps the key's SHA-256 (`keySha256`), so that a renewal can refuse it.
 *
 * @throws {TypeError} for bad options, a reason that is not a holder's, or an enrollment whose
 *   method has no default here (a custom method, or `ssl-api` without its client hash): pass `method`.
 * @throws {NotEnrolledError} `ERR_SDK_NOT_ENROLLED` when no enrollment of that name is tracked.
 * @throws {NotInstalledError} `ERR_SDK_NOT_INSTALLED` when it is not finished, or `live/<name>` is gone without a record.
 * @throws {StateMismatchError} `ERR_SDK_STATE_MISMATCH` for a `caUrl` or `method` other than the enrollment's.
 * @throws {RevocationRefusedError} `ERR_SDK_REVOKE_REFUSED` when the CA refuses; nothing is recorded or moved.
 * @throws {EnrollmentLockedError} `ERR_SDK_ENROLLMENT_LOCKED` when another run works on this enrollment after `lockWaitMs`.
 * @throws everything the method, the state file and the move throw (`ERR_SDK_CA_UNREACHABLE`,
 *   `ERR_SDK_STATE_FILE`, `ERR_SDK_INSTALL_*`), with what was done kept for the next call.
 * @example
 * const { movedTo } = await revoke({
 *   baseDir: '/etc/examplemail/certs', name: 'mail', reason: 'keyCompromise',
 *   credentials: await openCredentialStore({ service: 'examplemail' }),
 * });
 */
export async function revoke(options: RevokeOptions): Promise<RevokeResult> {
  const s = checkOptions(options);
  const lock = await acquireEnrollmentLock(s.paths.dir, s.name, {
    folders: [s.baseDir, s.paths.dir],
    waitMs: options.lockWaitMs,
    clock: s.clock,
    signal: s.signal,
  });
  try {
    return await run(s);
  } finally {
    await lock.release();
  }
}

type Settings = ReturnType<typeof checkOptions>;

async function run(s: Settings): Promise<RevokeResult> {
  checkAbort(s.signal);
  const state = await readState(s.fs, s.paths);
  if (state === undefined) throw new NotEnrolledError(`no enrollment named "${s.name}" is tracked in ${s.paths.dir}`, s.name);
  if (s.caOrigin !== undefined && state.caOrigin !== s.caOrigin)
    throw new StateMismatchError(`the enrollment "${s.name}" belongs to the CA ${state.caOrigin}, not ${s.caOrigin}`);
  if (state.step !== 'done') {
    // A renewal under way keeps the old pair live; revoking it would leave the renewal's record
    // pointing at a certificate that is gone: finish (or let fail) the renewal first.
    const why =
      state.renewal?.replaces !== undefined
        ? `a renewal of "${s.name}" is under way (next step: ${state.step}); finish it first (renew()), then revoke what is live`
        : `the enrollment "${s.name}" is not finished (next step: ${state.step}); nothing is live to revoke`;
    throw new NotInstalledError(why, { enrollment: s.name, step: state.step });
  }
  await removeStaleTemporaries(s.fs, s.paths);
  const live = await readInstalled(s.baseDir, s.name, { fs: s.fs });
  const recorded = state.revoked;
  if (live === undefined) {
    if (recorded === undefined)
      throw new NotInstalledError(`nothing is live under "${s.name}": ${join(s.baseDir, 'live', s.name)} is missing`, { enrollment: s.name, step: 'done' });
    // Finished before (or killed after the move): make sure of the move, answer the record.
    const { moved } = await retireLive({ baseDir: s.baseDir, name: s.name, serialHex: recorded.serialHex, fs: s.fs });
    return finish(s, recorded, undefined, !moved);
  }
  const certificatePem = (await s.fs.readFile(join(s.baseDir, 'archive', s.name, `v${live.version}`, 'cert.pem'))).toString('utf8');
  const certificate = parseCertificate(certificatePem);
  if (recorded !== undefined && recorded.serialHex === certificate.serialNumberHex) {
    // Killed between the record and the move: the CA's answer is recorded, the move is left.
    await retireLive({ baseDir: s.baseDir, name: s.name, serialHex: recorded.serialHex, fs: s.fs });
    return finish(s, recorded, undefined, false);
  }
  const method = await methodOf(s, state);
  s.emit({ type: 'revoking', name: s.name, serialHex: certificate.serialNumberHex, reason: s.reason });
  const status = await askCa(s, method, state, certificatePem, live.version);
  const record: RevokedRecord = {
    serialHex: certificate.serialNumberHex,
    reason: s.reason,
    revokedAt: new Date(s.clock.now()).toISOString(),
    movedTo: retiredPath(s.name, certificate.serialNumberHex),
    keySha256: createHash('sha256').update(certificate.publicKeyDer).digest('hex'),
  };
  const { version: _version, updatedAt: _updatedAt, ...rest } = state;
  await writeState(s.fs, s.paths, { ...rest, revoked: record }, s.clock.now());
  // A revoked certificate's secret can do nothing any more.
  await forgetRevocationSecret(secretOwner(s, state), record.serialHex);
  await retireLive({ baseDir: s.baseDir, name: s.name, serialHex: record.serialHex, fs: s.fs });
  return finish(s, record, status, false);
}

/**
 * The CA's revocation: by the method (its account or client), else by proof of possession of the
 * live key (`revokeWithKey`, `POST /api/revoke-by-key`, RFC 5280 §5.3.1 reason) when the method
 * cannot: it has no `revoke`, its credential is gone (the installation token removed), or the CA
 * says the certificate is not this account's or client's to revoke (a CAcert certificate issued
 * with the registration, before the installation token existed; a token the CA revoked). The
 * key's holder may always revoke its certificate. Any other refusal is final.
 */
async function askCa(s: Settings, method: EnrollmentMethod, state: DoneState, certificatePem: string, version: number): Promise<RevocationStatus> {
  let refusal: unknown;
  if (method.revoke !== undefined) {
    try {
      return (await method.revoke({ certificatePem, reason: s.reason }, context(s, method, state))).status;
    } catch (error) {
      const mayFallBack = error instanceof CredentialStoreError || (error instanceof RevocationRefusedError && KEY_FALLBACK_CODES.has(error.caCode));
      if (!mayFallBack) throw error;
      refusal = error;
    }
  }
  checkAbort(s.signal);
  const owner = secretOwner(s, state);
  const secret = await revocationSecretOf(owner, parseCertificate(certificatePem).serialNumberHex);
  if (secret !== undefined) {
    // RFC 5280 §5.3.1 reason; the secret the CA handed out with this certificate (docs/protocol.md
    // "revoke-with-secret") needs neither the account nor the key.
    s.emit({ type: 'revoking-with-secret', name: s.name, reason: refusal === undefined ? 'the method cannot revoke' : (refusal as Error).message });
    try {
      return (
        await revokeWithSecret({
          caUrl: s.caUrl ?? state.caOrigin,
          certificatePem,
          secret,
          reason: s.reason,
          ...(s.signal === undefined ? {} : { signal: s.signal }),
          ...(s.fetch === undefined ? {} : { fetch: s.fetch }),
          clock: s.clock,
        })
      ).status;
    } catch (error) {
      // A secret the CA does not take (used up, or rate-limited): the key's holder still may.
      if (!(error instanceof RevocationRefusedError && error.caCode !== 'invalid_reason')) throw error;
      refusal = error;
    }
  }
  s.emit({ type: 'revoking-with-key', name: s.name, reason: refusal === undefined ? 'the method cannot revoke' : (refusal as Error).message });
  const privateKey = (await s.fs.readFile(join(s.baseDir, 'archive', s.name, `v${version}`, 'privkey.pem'))).toString('utf8');
  const answer = await revokeWithKey({
    caUrl: s.caUrl ?? state.caOrigin,
    certificatePem,
    privateKey,
    reason: s.reason,
    nowMs: s.clock.now(),
    ...(s.signal === undefined ? {} : { signal: s.signal }),
    ...(s.fetch === undefined ? {} : { fetch: s.fetch }),
  });
  return answer.status;
}

/** Whose revocation secret to use: this enrollment's, at the CA its state records. */
function secretOwner(s: Settings, state: DoneState): SecretOwner {
  return { credentials: s.credentials, caOrigin: state.caOrigin, name: s.name, ...(s.signal === undefined ? {} : { signal: s.signal }) };
}

/** The method's refusals that mean "not this credential's to revoke", after which the key may. */
const KEY_FALLBACK_CODES: ReadonlySet<string> = new Set(['unknown_certificate', 'authentication_failed']);

/** After the move: the leftover pending key goes if it is the revoked one; the event; the result. */
async function finish(s: Settings, record: RevokedRecord, caStatus: RevocationStatus | undefined, alreadyDone: boolean): Promise<RevokeResult> {
  await removeRevokedPendingKey(s, record);
  const movedTo = join(s.baseDir, record.movedTo);
  s.emit({ type: 'revoked', name: s.name, serialHex: record.serialHex, reason: record.reason, revokedAt: record.revokedAt, movedTo, alreadyDone });
  return { name: s.name, serialHex: record.serialHex, reason: record.reason, revokedAt: new Date(record.revokedAt), caStatus, movedTo, alreadyDone };
}

/**
 * `enroll()` removes its pending key file once the certificate is live; a run killed right before
 * leaves it, and the next `prepare-key` of that name would take it up again. When it is the
 * revoked certificate's key, it goes now. Another key (not ours to judge) stays.
 */
async function removeRevokedPendingKey(s: Settings, record: RevokedRecord): Promise<void> {
  let pem: string;
  try {
    pem = (await s.fs.readFile(s.paths.key)).toString('utf8');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return;
    throw error;
  }
  let same: boolean;
  try {
    const key = importPrivateKeyPem(pem);
    same = keySha256(key) === record.keySha256;
  } catch {
    // A key cut short by a crash: no request was made from it, and prepare-key replaces it.
    return;
  }
  if (!same) return;
  await s.fs.unlink(s.paths.key);
  await syncDirectory(s.fs, s.paths.dir);
}

/** The method that asks the CA: the caller's (it must bear the slot's name), or the built-in one the slot names. */
function methodOf(s: Settings, state: DoneState): Promise<EnrollmentMethod> {
  return methodOfEnrollment(state.method.name, state.caOrigin, s, state.method);
}

/** The method's call context; its slot state when it can read it (revoke needs none of the built-in methods' state). */
function context(s: Settings, method: EnrollmentMethod, state: DoneState): MethodContext {
  let methodState: unknown;
  if (method.parseState !== undefined && state.method.version <= (method.stateVersion ?? 1)) {
    try {
      methodState = method.parseState(state.method.state, state.method.version);
    } catch (error) {
      if (!(error instanceof StateFileError)) throw error;
    }
  }
  return {
    ...(s.signal === undefined ? {} : { signal: s.signal }),
    ...(methodState === undefined ? {} : { state: methodState }),
    credentials: s.credentials,
    ...(s.fetch === undefined ? {} : { fetch: s.fetch }),
    clock: s.clock,
    onEvent: (event) => s.emit(event),
  };
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RegistrationAbortedError('the revocation was aborted', { cause: signal.reason });
}

function checkOptions(options: RevokeOptions) {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { name, baseDir, stateDir, credentials, method, reason, signal, onEvent } = options;
  if (typeof name !== 'string' || !INSTALL_NAME_PATTERN.test(name)) throw new TypeError(`name must match ${INSTALL_NAME_PATTERN}`);
  if (typeof baseDir !== 'string' || !baseDir.startsWith('/')) throw new TypeError('baseDir must be an absolute path');
  if (stateDir !== undefined && (typeof stateDir !== 'string' || stateDir === '')) throw new TypeError('stateDir must be a path');
  if (credentials === null || typeof credentials !== 'object' || typeof credentials.get !== 'function')
    throw new TypeError('credentials must be a CredentialStore');
  if (method !== undefined && (method === null || typeof method !== 'object' || typeof method.name !== 'string'))
    throw new TypeError('method must be an EnrollmentMethod');
  if (reason !== undefined && !isRevocationReason(reason)) throw new TypeError('reason must be one of REVOCATION_REASONS');
  if (options.sslApiClient !== undefined && (typeof options.sslApiClient !== 'string' || options.sslApiClient === ''))
    throw new TypeError('sslApiClient must be a non-empty string');
  let caOrigin: string | undefined;
  if (options.caUrl !== undefined) {
    try {
      caOrigin = new URL(options.caUrl).origin;
    } catch {
      throw new TypeError('caUrl must be an absolute URL');
    }
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  if (onEvent !== undefined && typeof onEvent !== 'function') throw new TypeError('onEvent must be a function');
  return {
    name,
    baseDir,
    paths: statePaths(stateDir ?? join(baseDir, 'enrollments'), name),
    credentials,
    method,
    sslApiClient: options.sslApiClient,
    reason: reason ?? ('unspecified' as RevocationReasonName),
    caUrl: options.caUrl,
    caOrigin,
    signal,
    fetch: options.fetch,
    clock: options.clock ?? systemClock,
    fs: options.fs ?? nodeFileSystem,
    emit: (event: RevokeEvent) => {
      try {
        onEvent?.(event);
      } catch {
        // A broken progress display must not break the revocation.
      }
    },
  };
}
