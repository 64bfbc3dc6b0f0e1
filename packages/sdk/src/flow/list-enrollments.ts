/**
 * What `enroll()` left on disk, for `certwizard list` and `status` (in the spirit of certmonger's
 * `getcert list`): every enrollment's state and, once installed, its live certificate.
 */
import { join } from 'node:path';
import { nodeFileSystem, type InstallFileSystem } from '../install/file-system.js';
import type { InstalledCertificate } from '../install/installed-certificate.js';
import { hasCode, INSTALL_NAME_PATTERN } from '../install/layout.js';
import { readInstalled } from '../install/read-installed.js';
import { StateFileError } from './errors.js';
import type { DueSource, RenewalFailure, RenewalRecord } from './renewal-record.js';
import { type EnrollStep, readState, statePaths } from './state-file.js';

/** Where {@link listEnrollments} looks: the same `baseDir` and `stateDir` as `enroll()`. */
export interface ListEnrollmentsOptions {
  readonly baseDir: string;
  /** Default: `<baseDir>/enrollments`. */
  readonly stateDir?: string;
  /** File-system seam. Default: node:fs. */
  readonly fs?: InstallFileSystem;
}

/** One enrollment as found on disk. */
export interface EnrollmentSummary {
  readonly name: string;
  /** The next step to run; `done` once installed. */
  readonly step: EnrollStep;
  readonly caOrigin: string;
  readonly names: { readonly email: readonly string[]; readonly dns: readonly string[] };
  /** The CA's request id, while it has one. */
  readonly requestId?: string;
  /** The registered address, when this enrollment registered. */
  readonly accountEmail?: string;
  /** The live certificate, when there is one (also for a renewal still under way). */
  readonly installed?: InstalledCertificate;
  /** Time of the last state write. */
  readonly updatedAt: Date;
  /** Set once `revoke()` revoked the certificate: which, why, when, and where its files went (absolute). */
  readonly revoked?: { readonly serialHex: string; readonly reason: string; readonly revokedAt: Date; readonly movedTo: string };
  /** Set when the state file cannot be read: what is wrong with it. */
  readonly problem?: string;
  /** `renew()`'s record once it checked the certificate: when it is due, failures, a renewal under way. */
  readonly renewal?: RenewalSummary;
}

/** The renewal as `list` and `status` show it. */
export interface RenewalSummary {
  /** From when the live certificate is due, as last computed, and from what. */
  readonly dueAt?: Date;
  readonly dueSource?: DueSource;
  /** A renewal is under way (the state's step is that of the new request). */
  readonly renewing: boolean;
  /** Failed attempts in a row, the last one, and when the next is due. */
  readonly failures: number;
  readonly lastFailure?: RenewalFailure;
  readonly nextAttemptAt?: Date;
  /** Names the CA no longer certifies for the account, left out of renewals. */
  readonly droppedNames?: readonly string[];
}

/**
 * Lists the enrollments under `stateDir`, sorted by name. A state file that cannot be read is
 * listed with its `problem` rather than hiding the others.
 * @example
 * for (const e of await listEnrollments({ baseDir })) console.log(e.name, e.step, e.installed?.notAfter);
 */
export async function listEnrollments(options: ListEnrollmentsOptions): Promise<EnrollmentSummary[]> {
  if (options === null || typeof options !== 'object' || typeof options.baseDir !== 'string') throw new TypeError('baseDir must be a path');
  const fs = options.fs ?? nodeFileSystem;
  const dir = options.stateDir ?? join(options.baseDir, 'enrollments');
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return [];
    throw error;
  }
  const names = entries
    .filter((e) => e.endsWith('.json') && !e.startsWith('.'))
    .map((e) => e.slice(0, -'.json'.length))
    .filter((n) => INSTALL_NAME_PATTERN.test(n))
    .sort();
  const out: EnrollmentSummary[] = [];
  for (const name of names) {
    const installed = await readInstalled(options.baseDir, name, { fs }).catch(() => undefined);
    try {
      const state = await readState(fs, statePaths(dir, name));
      if (state === undefined) continue;
      const requestId = 'requestId' in state ? state.requestId : null;
      const accountEmail = 'accountEmail' in state ? state.accountEmail : null;
      out.push({
        name,
        step: state.step,
        caOrigin: state.caOrigin,
        names: state.names,
        ...(requestId === null ? {} : { requestId }),
        ...(accountEmail === null ? {} : { accountEmail }),
        ...(installed === undefined ? {} : { installed }),
        updatedAt: new Date(state.updatedAt),
        ...(state.renewal === undefined ? {} : { renewal: renewalSummary(state.renewal) }),
        ...(state.step === 'done' && state.revoked !== undefined
          ? {
              revoked: {
                serialHex: state.revoked.serialHex,
                reason: state.revoked.reason,
                revokedAt: new Date(state.revoked.revokedAt),
                movedTo: join(options.baseDir, state.revoked.movedTo),
              },
            }
          : {}),
      });
    } catch (error) {
      if (!(error instanceof StateFileError)) throw error;
      out.push({
        name,
        step: 'prepare-key',
        caOrigin: '',
        names: { email: [], dns: [] },
        ...(installed === undefined ? {} : { installed }),
        updatedAt: new Date(0),
        problem: error.message,
      });
    }
  }
  return out;
}

function renewalSummary(record: RenewalRecord): RenewalSummary {
  return {
    ...(record.dueAt === undefined ? {} : { dueAt: new Date(record.dueAt) }),
    ...(record.dueSource === undefined ? {} : { dueSource: record.dueSource }),
    renewing: record.replaces !== undefined,
    failures: record.failures,
    ...(record.lastFailure === undefined ? {} : { lastFailure: record.lastFailure }),
    ...(record.nextAttemptAt === undefined ? {} : { nextAttemptAt: new Date(record.nextAttemptAt) }),
    ...(record.droppedNames === undefined ? {} : { droppedNames: record.droppedNames }),
  };
}
