/**
 * The enrollment's state file: one JSON document per enrollment, `<stateDir>/<name>.json`,
 * replaced atomically (temporary file, fsync, rename(2), fsync of the folder) so that a run that
 * is killed leaves either the old state or the new one on disk, never half of one. It holds
 * only what is public (the request, the certificate, ids, the registered address): secrets live
 * in the credential store, the private key in its own 0600 file.
 */
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { publicKeyDer } from '@certwizard/pki';
import { CREATE_FLAGS, DIRECTORY_FLAGS, type InstallFileSystem } from '../install/file-system.js';
import { hasCode } from '../install/layout.js';
import { StateFileError } from './errors.js';
import { checkRenewalRecord, type RenewalRecord } from './renewal-record.js';

/**
 * Format version of the state file this SDK writes. Format 1 (no method slot, one flat document
 * with optional fields) is read and migrated in memory; a file of another version is refused,
 * never guessed at.
 */
export const STATE_FILE_VERSION = 2;

/**
 * The steps of {@link enroll}, in order; the state file records the next one to run. A run that
 * is killed starts again at the recorded step.
 */
export const ENROLL_STEPS = [
  /** Make the key (0600 file) and the certificate request. */
  'prepare-key',
  /** The method's account step (CAcert: register with the CA in the browser, skipped when the credential store has a token). */
  'register',
  /**
   * The method's verification of the names (CAcert: an email ping for each address to certify,
   * answered by the vendor's mail hook or by a person; skipped when the request went with the
   * registration, the CA then decides: issued on confirmation, or pending for the owner).
   */
  'verify-email',
  /** Send the request, after asking the CA whether it already has it. */
  'submit',
  /** Wait while the request is pending (the owner or an operator approves it). */
  'await-issue',
  /** Install the certificate (archive + live, switched atomically) and run the post-install command. */
  'install',
  /** Finished: the certificate is live. */
  'done',
] as const;

/** One of {@link ENROLL_STEPS}. */
export type EnrollStep = (typeof ENROLL_STEPS)[number];

/**
 * The method's slot: its state, opaque to `enroll()`, which writes it as the method returned it
 * and hands it back to the method's `parseState` on resume. `version` is the method's
 * `stateVersion` when it was written; 0 only in memory, for a state file of format 1.
 */
export interface MethodSlot {
  /** The method's `name`. Empty only in memory, for a state file of format 1, which did not say. */
  readonly name: string;
  readonly version: number;
  /** JSON; `null` for a method without state. */
  readonly state: unknown;
}

/** The request, as recorded before it is sent anywhere. */
export interface RecordedRequest {
  /** The PKCS #10 request, PEM. */
  readonly csrPem: string;
  /** SHA-256 of its DER, lower-case hex. */
  readonly csrSha256: string;
}

/** The issued certificate, until it is installed. */
export interface IssuedCertificate {
  /** The certificate, PEM. */
  readonly certificatePem: string;
  /** The CA certificates that chain it, PEM (may be empty). */
  readonly chainPem: string;
}

/** What every state holds. */
interface StateCommon {
  readonly version: typeof STATE_FILE_VERSION;
  /** Origin of the CA the enrollment talks to. */
  readonly caOrigin: string;
  /** The names asked for, as the vendor configured them. */
  readonly names: { readonly email: readonly string[]; readonly dns: readonly string[] };
  /** ISO 8601 time of the last write. */
  readonly updatedAt: string;
  /** `renew()`'s record: the live certificate's schedule and failures, and while a renewal runs, what it replaces. */
  readonly renewal?: RenewalRecord;
}

/** Next: the method's account step. The key and the request exist. */
export interface RegisterState extends StateCommon {
  readonly step: 'register';
  readonly request: RecordedRequest;
  /** The method the request was made for (its attributes). Empty only in memory, for format 1. */
  readonly methodName: string;
}

/** What is known once the account exists. */
interface AccountKnown extends StateCommon {
  readonly request: RecordedRequest;
  /** The address the CA confirmed when this enrollment registered; `null` when it did not (an account existed, or the protocol has none). */
  readonly accountEmail: string | null;
  readonly method: MethodSlot;
}

/** Next: the method's verification of the names. */
export interface VerifyState extends AccountKnown {
  readonly step: 'verify-email';
}

/** Next: find or send the request. */
export interface SubmitState extends AccountKnown {
  readonly step: 'submit';
}

/** Next: poll the pending request. */
export interface AwaitIssueState extends AccountKnown {
  readonly step: 'await-issue';
  /** The CA's id of the pending request. */
  readonly requestId: string;
}

/** Next: install the issued certificate. */
export interface InstallState extends AccountKnown {
  readonly step: 'install';
  /** The CA's id of the request, when it gave one. */
  readonly requestId: string | null;
  readonly certificate: IssuedCertificate;
}

/** Finished: the certificate is live. */
export interface DoneState extends AccountKnown {
  readonly step: 'done';
  readonly requestId: string | null;
  /** The archive version that went live. */
  readonly installedVersion: number;
  /** Set by `revoke()`: the CA revoked the certificate and its live files were moved aside. */
  readonly revoked?: RevokedRecord;
}

/**
 * What `revoke()` records, before it moves the live files aside (so that a run killed between
 * the two finishes the move): the certificate, why, when, and where its files went.
 */
export interface RevokedRecord {
  /** The revoked certificate's serial number, lower-case hex. */
  readonly serialHex: string;
  /** The RFC 5280 §5.3.1 reason given (`unspecified` when none was). */
  readonly reason: string;
  /** ISO 8601 time at which the CA confirmed the revocation (`revoked`, or `already_revoked` before). */
  readonly revokedAt: string;
  /** Where `live/<name>` was moved, relative to `baseDir`: `revoked/<name>-<serial>`. */
  readonly movedTo: string;
  /**
   * SHA-256 of the certificate's public key (SubjectPublicKeyInfo DER), lower-case hex: a key a
   * renewal or a new enrollment must never take up again (it may be compromised).
   */
  readonly keySha256: string;
}

/**
 * The SHA-256 (hex) of a key's SubjectPublicKeyInfo: {@link RevokedRecord.keySha256} of a
 * private key or of a certificate's public key.
 * @example
 * keySha256(importPrivateKeyPem(pem)) === state.revoked?.keySha256; // the revoked key
 */
export function keySha256(key: KeyObject): string {
  return createHash('sha256').update(publicKeyDer(key)).digest('hex');
}

/**
 * What the state file holds, one variant per next step, each with exactly what is known at that
 * step (no state file means `prepare-key`). Every field is public information.
 */
export type EnrollmentState = RegisterState | VerifyState | SubmitState | AwaitIssueState | InstallState | DoneState;

/** A state as a step hands it to {@link writeState}: without what the writer adds. */
export type StateDraft = DistributiveOmit<EnrollmentState, 'version' | 'updatedAt'>;

/** `Omit` over each member of a union (the built-in one merges them). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Paths of one enrollment's files. */
export interface StatePaths {
  readonly dir: string;
  readonly state: string;
  /** The private key between `prepare-key` and `install` (then it lives in `archive/`). */
  readonly key: string;
  /** Prefix of the temporary files of an atomic write. */
  readonly tmpPrefix: string;
}

/** The paths of enrollment `name` in `dir`. */
export function statePaths(dir: string, name: string): StatePaths {
  return { dir, state: join(dir, `${name}.json`), key: join(dir, `${name}.key.pem`), tmpPrefix: `.${name}.json.tmp-` };
}

/**
 * Reads the state, or `undefined` when there is none. A file of format 1 is migrated in memory
 * (see {@link migrateV1}); the next write makes it format 2.
 * @throws {StateFileError} `ERR_SDK_STATE_FILE` when the file is not a state this SDK wrote.
 */
export async function readState(fs: InstallFileSystem, paths: StatePaths): Promise<EnrollmentState | undefined> {
  let text: string;
  try {
    const stat = await fs.lstat(paths.state);
    if (!stat.isFile()) throw new StateFileError(`${paths.state} is not a regular file; refusing to read or replace it`);
    text = (await fs.readFile(paths.state)).toString('utf8');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    if (error instanceof StateFileError) throw error;
    throw new StateFileError(`cannot read the state file ${paths.state}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(`the state file ${paths.state} is not JSON; it was not written by this SDK (move it away to start over)`, { cause: error });
  }
  return checkState(parsed, paths.state);
}

/**
 * Replaces the state atomically: a new file (O_EXCL, 0600) with the whole document, fsync,
 * rename(2) over the old one, fsync of the folder.
 */
export async function writeState(fs: InstallFileSystem, paths: StatePaths, state: StateDraft, nowMs: number): Promise<EnrollmentState> {
  const full: EnrollmentState = { ...state, version: STATE_FILE_VERSION, updatedAt: new Date(nowMs).toISOString() };
  const tmp = join(paths.dir, `${paths.tmpPrefix}${randomBytes(6).toString('hex')}`);
  const handle = await fs.open(tmp, CREATE_FLAGS, 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(full, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, paths.state);
  await syncDirectory(fs, paths.dir);
  return full;
}

/** Removes temporary files a killed write left behind; they never hold the only copy of anything. */
export async function removeStaleTemporaries(fs: InstallFileSystem, paths: StatePaths): Promise<void> {
  for (const entry of await fs.readdir(paths.dir)) {
    if (entry.startsWith(paths.tmpPrefix)) await fs.unlink(join(paths.dir, entry));
  }
}

/** fsync(2) of a folder, so that a rename or a new entry in it survives a power cut. */
export async function syncDirectory(fs: InstallFileSystem, dir: string): Promise<void> {
  const handle = await fs.open(dir, DIRECTORY_FLAGS);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const PEM_TEXT = (label: string) => new RegExp(`^-----BEGIN ${label}-----\\r?\\n[A-Za-z0-9+/=\\r\\n]+-----END ${label}-----\\r?\\n?$`);
const CSR_TEXT = PEM_TEXT('CERTIFICATE REQUEST');
const CHAIN_TEXT = /^(?:-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?)*$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const REQUEST_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The fields of a JSON object, not trusted yet. */
type Fields = { readonly [key: string]: unknown };

const isFields = (value: unknown): value is Fields => value !== null && typeof value === 'object' && !Array.isArray(value);
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every((x) => typeof x === 'string');
const isCsr = (value: unknown): value is string => typeof value === 'string' && CSR_TEXT.test(value);
const isSha256 = (value: unknown): value is string => typeof value === 'string' && SHA256_HEX.test(value);
const isRequestId = (value: unknown): value is string => typeof value === 'string' && REQUEST_ID.test(value);
const isAddress = (value: unknown): value is string => typeof value === 'string' && value.includes('@');
const isCertificates = (value: unknown): value is string => typeof value === 'string' && CHAIN_TEXT.test(value);
const isVersion = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

/** Throws the state file's error for one reason. */
type Refuse = (why: string) => never;

/**
 * Validates a parsed state document field by field (a file edited by hand is refused, not
 * half-trusted), and migrates one of format 1.
 */
function checkState(value: unknown, path: string): EnrollmentState {
  const refuse: Refuse = (why) => {
    throw new StateFileError(`the state file ${path} is not valid: ${why}`);
  };
  if (!isFields(value)) return refuse('not an object');
  if (value.version === 1) return migrateV1(value, refuse);
  if (value.version !== STATE_FILE_VERSION) return refuse(`version ${JSON.stringify(value.version)} is not ${STATE_FILE_VERSION} (or 1, read and migrated)`);
  const common = checkCommon(value, refuse);
  const { step } = value;
  switch (step) {
    case 'register': {
      const { methodName } = value;
      if (typeof methodName !== 'string' || methodName === '') return refuse('methodName is malformed');
      return { ...common, step, request: checkRequest(value.request, refuse), methodName };
    }
    case 'verify-email':
    case 'submit':
      return { ...common, step, ...checkAccountKnown(value, refuse) };
    case 'await-issue':
      return {
        ...common,
        step,
        ...checkAccountKnown(value, refuse),
        requestId: isRequestId(value.requestId) ? value.requestId : refuse('requestId is malformed'),
      };
    case 'install':
      return {
        ...common,
        step,
        ...checkAccountKnown(value, refuse),
        requestId: checkOptionalRequestId(value.requestId, refuse),
        certificate: checkCertificate(value.certificate, refuse),
      };
    case 'done':
      return {
        ...common,
        step,
        ...checkAccountKnown(value, refuse),
        requestId: checkOptionalRequestId(value.requestId, refuse),
        installedVersion: isVersion(value.installedVersion) ? value.installedVersion : refuse('installedVersion is malformed'),
        ...(value.revoked === undefined ? {} : { revoked: checkRevoked(value.revoked, refuse) }),
      };
    default:
      // prepare-key included: it is never written (no state file is that step).
      return refuse(`unknown step ${JSON.stringify(step)}`);
  }
}

function checkCommon(s: Fields, refuse: Refuse): StateCommon {
  if (typeof s.caOrigin !== 'string') return refuse('no caOrigin');
  const { names } = s;
  if (!isFields(names) || !isStrings(names.email) || !isStrings(names.dns)) return refuse('names must hold email and dns lists');
  if (typeof s.updatedAt !== 'string' || Number.isNaN(Date.parse(s.updatedAt))) return refuse('updatedAt is not a time');
  return {
    version: STATE_FILE_VERSION,
    caOrigin: s.caOrigin,
    names: { email: names.email, dns: names.dns },
    updatedAt: s.updatedAt,
    ...(s.renewal === undefined ? {} : { renewal: checkRenewalRecord(s.renewal, refuse, (value) => checkRequest(value, refuse)) }),
  };
}

function checkRequest(value: unknown, refuse: Refuse): RecordedRequest {
  if (!isFields(value) || !isCsr(value.csrPem) || !isSha256(value.csrSha256)) return refuse('request is malformed');
  return { csrPem: value.csrPem, csrSha256: value.csrSha256 };
}

function checkAccountKnown(s: Fields, refuse: Refuse): Omit<AccountKnown, keyof StateCommon> {
  const { accountEmail, method } = s;
  if (accountEmail !== null && !isAddress(accountEmail)) return refuse('accountEmail is malformed');
  if (
    !isFields(method) ||
    typeof method.name !== 'string' ||
    method.name === '' ||
    method.name.length > 64 ||
    !isVersion(method.version) ||
    !('state' in method)
  )
    return refuse('the method slot must hold name, version and state');
  return { request: checkRequest(s.request, refuse), accountEmail, method: { name: method.name, version: method.version, state: method.state } };
}

function checkOptionalRequestId(value: unknown, refuse: Refuse): string | null {
  if (value === null) return null;
  return isRequestId(value) ? value : refuse('requestId is malformed');
}

function checkCertificate(value: unknown, refuse: Refuse): IssuedCertificate {
  if (!isFields(value) || !isCertificates(value.certificatePem) || value.certificatePem === '' || !isCertificates(value.chainPem))
    return refuse('certificate is malformed');
  return { certificatePem: value.certificatePem, chainPem: value.chainPem };
}

const SERIAL_HEX = /^[0-9a-f]{1,40}$/;

function checkRevoked(value: unknown, refuse: Refuse): RevokedRecord {
  if (!isFields(value)) return refuse('revoked is malformed');
  const { serialHex, reason, revokedAt, movedTo, keySha256 } = value;
  if (typeof serialHex !== 'string' || !SERIAL_HEX.test(serialHex)) return refuse('revoked.serialHex is malformed');
  if (typeof reason !== 'string' || !/^[A-Za-z]{1,40}$/.test(reason)) return refuse('revoked.reason is malformed');
  if (typeof revokedAt !== 'string' || Number.isNaN(Date.parse(revokedAt))) return refuse('revoked.revokedAt is not a time');
  // Relative and inside revoked/: a hand-edited path must not send the move anywhere else.
  if (typeof movedTo !== 'string' || !/^revoked\/[a-z0-9][a-z0-9.-]{0,63}-[0-9a-f]{1,40}$/.test(movedTo)) return refuse('revoked.movedTo is malformed');
  if (!isSha256(keySha256)) return refuse('revoked.keySha256 is malformed');
  return { serialHex, reason, revokedAt, movedTo, keySha256 };
}

/**
 * Reads a state file of format 1 (one flat document, optional fields, no method slot) into the
 * state of format 2, in memory: the file changes only with the next step's write. Format 1 did
 * not record the method, so its slot has no name (the run's method takes it up) and version 0: its
 * state is what format 1 kept for the CAcert method, `{ csrSentWithRegistration? }`.
 */
function migrateV1(s: Fields, refuse: Refuse): EnrollmentState {
  const common = checkCommon(s, refuse);
  const optional: Array<[string, (v: unknown) => boolean]> = [
    ['csrPem', isCsr],
    ['csrSha256', isSha256],
    ['csrSentWithRegistration', (v) => typeof v === 'boolean'],
    ['accountEmail', isAddress],
    ['requestId', isRequestId],
    ['certificatePem', (v) => isCertificates(v) && v !== ''],
    ['chainPem', isCertificates],
    ['installedVersion', isVersion],
  ];
  for (const [key, ok] of optional) {
    if (s[key] !== undefined && !ok(s[key])) return refuse(`${key} is malformed`);
  }
  const { step } = s;
  if (step === 'prepare-key') return refuse('step prepare-key holds nothing to continue (no version of the SDK wrote it)');
  const request = isCsr(s.csrPem) && isSha256(s.csrSha256) ? { csrPem: s.csrPem, csrSha256: s.csrSha256 } : refuse(`step ${String(step)} without a request`);
  const sent = s.csrSentWithRegistration;
  const known = {
    request,
    accountEmail: isAddress(s.accountEmail) ? s.accountEmail : null,
    method: { name: '', version: 0, state: typeof sent === 'boolean' ? { csrSentWithRegistration: sent } : {} },
  };
  const requestId = isRequestId(s.requestId) ? s.requestId : null;
  switch (step) {
    case 'register':
      return { ...common, step, request, methodName: '' };
    case 'verify-email':
    case 'submit':
      return { ...common, step, ...known };
    case 'await-issue':
      return { ...common, step, ...known, requestId: requestId ?? refuse('step await-issue without a request id') };
    case 'install':
      return {
        ...common,
        step,
        ...known,
        requestId,
        certificate:
          isCertificates(s.certificatePem) && isCertificates(s.chainPem)
            ? { certificatePem: s.certificatePem, chainPem: s.chainPem }
            : refuse('step install without a certificate'),
      };
    case 'done':
      return {
        ...common,
        step,
        ...known,
        requestId,
        installedVersion: isVersion(s.installedVersion) ? s.installedVersion : refuse('step done without an installed version'),
      };
    default:
      return refuse('unknown step');
  }
}
