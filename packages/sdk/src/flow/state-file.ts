/**
 * The enrollment's state file: one JSON document per enrollment, `<stateDir>/<name>.json`,
 * replaced atomically (temporary file, fsync, rename(2), fsync of the folder) so that a run that
 * is killed leaves either the old state or the new one on disk, never half of one. It holds
 * only what is public (the request, the certificate, ids, the registered address): secrets live
 * in the credential store, the private key in its own 0600 file.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CREATE_FLAGS, DIRECTORY_FLAGS, type InstallFileSystem } from '../install/file-system.js';
import { hasCode } from '../install/layout.js';
import { StateFileError } from './errors.js';

/** Format version of the state file; a file of another version is refused, never guessed at. */
export const STATE_FILE_VERSION = 1;

/**
 * The steps of {@link enroll}, in order; the state file records the next one to run. A run that
 * is killed starts again at the recorded step.
 */
export const ENROLL_STEPS = [
  /** Make the key (0600 file) and the certificate request. */
  'prepare-key',
  /** Register with the CA in the browser (skipped when the credential store has a token). */
  'register',
  /**
   * Confirm the addresses to certify for the account (an email ping each, answered by the
   * vendor's mail hook or by a person). Skipped when the request went with the registration:
   * the CA then decides (issued on confirmation, or pending for the owner).
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

/** What the state file holds. Every field is public information. */
export interface EnrollmentState {
  readonly version: typeof STATE_FILE_VERSION;
  /** The next step to run. */
  readonly step: EnrollStep;
  /** Origin of the CA the enrollment talks to. */
  readonly caOrigin: string;
  /** The names asked for, as the vendor configured them. */
  readonly names: { readonly email: readonly string[]; readonly dns: readonly string[] };
  /** The PKCS #10 request, PEM, once made. */
  readonly csrPem?: string;
  /** SHA-256 of the request's DER, lower-case hex. */
  readonly csrSha256?: string;
  /** Whether the request went with the registration (the CA keeps it with the account). */
  readonly csrSentWithRegistration?: boolean;
  /** The address the CA confirmed, once registered. */
  readonly accountEmail?: string;
  /** The CA's id of the request, once it has one. */
  readonly requestId?: string;
  /** The issued certificate and its chain, PEM, until they are installed. */
  readonly certificatePem?: string;
  readonly chainPem?: string;
  /** The archive version that went live. */
  readonly installedVersion?: number;
  /** ISO 8601 time of the last write. */
  readonly updatedAt: string;
}

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
 * Reads the state, or `undefined` when there is none.
 * @throws {StateFileError} `ERR_SDK_STATE_FILE` when the file is not a state this version wrote.
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
export async function writeState(
  fs: InstallFileSystem,
  paths: StatePaths,
  state: Omit<EnrollmentState, 'version' | 'updatedAt'>,
  nowMs: number,
): Promise<EnrollmentState> {
  const full: EnrollmentState = { version: STATE_FILE_VERSION, ...state, updatedAt: new Date(nowMs).toISOString() };
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

/** Validates a parsed state document field by field: a file edited by hand is refused, not half-trusted. */
function checkState(value: unknown, path: string): EnrollmentState {
  const bad = (why: string) => new StateFileError(`the state file ${path} is not valid: ${why}`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad('not an object');
  const s = value as Record<string, unknown>;
  if (s.version !== STATE_FILE_VERSION) throw bad(`version ${JSON.stringify(s.version)} is not ${STATE_FILE_VERSION}`);
  if (!ENROLL_STEPS.includes(s.step as EnrollStep)) throw bad('unknown step');
  if (typeof s.caOrigin !== 'string') throw bad('no caOrigin');
  const names = s.names as Record<string, unknown> | null;
  const isStrings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (names === null || typeof names !== 'object' || !isStrings(names.email) || !isStrings(names.dns)) throw bad('names must hold email and dns lists');
  const optional: Array<[string, (v: unknown) => boolean]> = [
    ['csrPem', (v) => typeof v === 'string' && CSR_TEXT.test(v)],
    ['csrSha256', (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)],
    ['csrSentWithRegistration', (v) => typeof v === 'boolean'],
    ['accountEmail', (v) => typeof v === 'string' && v.includes('@')],
    ['requestId', (v) => typeof v === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(v)],
    ['certificatePem', (v) => typeof v === 'string' && v !== '' && CHAIN_TEXT.test(v)],
    ['chainPem', (v) => typeof v === 'string' && CHAIN_TEXT.test(v)],
    ['installedVersion', (v) => Number.isSafeInteger(v) && (v as number) > 0],
  ];
  for (const [key, ok] of optional) {
    if (s[key] !== undefined && !ok(s[key])) throw bad(`${key} is malformed`);
  }
  if (typeof s.updatedAt !== 'string' || Number.isNaN(Date.parse(s.updatedAt))) throw bad('updatedAt is not a time');
  const step = s.step as EnrollStep;
  const after = (first: EnrollStep) => ENROLL_STEPS.indexOf(step) >= ENROLL_STEPS.indexOf(first);
  if (after('register') && (s.csrPem === undefined || s.csrSha256 === undefined)) throw bad(`step ${step} without a request`);
  if (step === 'await-issue' && s.requestId === undefined) throw bad('step await-issue without a request id');
  if (step === 'install' && (s.certificatePem === undefined || s.chainPem === undefined)) throw bad('step install without a certificate');
  return s as unknown as EnrollmentState;
}
