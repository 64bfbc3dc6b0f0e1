/**
 * The renewal's record in the state file (`renewal`), and the two rules it keeps: when the live
 * certificate is due, and when a failed renewal is tried again. Pure functions of their inputs
 * (a time, a window, a serial), so that both are tested without a clock or a CA.
 */
import { createHash } from 'node:crypto';
import type { RenewalWindow } from '../enroll/enrollment-method.js';
import type { RecordedRequest } from './state-file.js';

/** Where a due time came from: the CA's advice (RFC 9773), or the SDK's own rule. */
export type DueSource = 'ca' | 'lifetime';

/** The last failed attempt, as `list` and `status` show it: never a secret (the SDK's messages hold none). */
export interface RenewalFailure {
  /** The error's stable code (`ERR_SDK_CA_UNREACHABLE`, ...), or `ERR_SDK` for an error without one. */
  readonly code: string;
  readonly message: string;
  /** ISO 8601 time of the attempt. */
  readonly at: string;
}

/**
 * What a renewal under way will fall back to: the done state of the live certificate it
 * replaces, written back when the CA refuses the new request (the old pair stays live).
 */
export interface ReplacedCertificate {
  readonly installedVersion: number;
  readonly requestId: string | null;
  readonly request: RecordedRequest;
  /** The names the live certificate was enrolled for. */
  readonly names: { readonly email: readonly string[]; readonly dns: readonly string[] };
}

/**
 * The renewal's record, on any state of an enrollment that has been installed once: the schedule
 * of the live certificate, failures and their back-off, and, while a renewal runs, what it
 * replaces. Public data only.
 */
export interface RenewalRecord {
  /** Serial number (lower-case hex) of the live certificate the record is about. */
  readonly serialHex: string;
  /** ISO 8601 time from which it is due, as last computed (shown by `list`; recomputed on every check). */
  readonly dueAt?: string;
  readonly dueSource?: DueSource;
  /** Failed attempts in a row; 0 after a success. */
  readonly failures: number;
  /** ISO 8601 time before which a failed renewal is not tried again (unless forced). */
  readonly nextAttemptAt?: string;
  readonly lastFailure?: RenewalFailure;
  /** Set while a renewal runs (steps `register` to `install`): the certificate it replaces. */
  readonly replaces?: ReplacedCertificate;
  /** Names the CA no longer certifies for the account: the renewal leaves them out. */
  readonly droppedNames?: readonly string[];
  /**
   * Serial (lower-case hex) of the replaced certificate that still carries dropped names, when
   * the installer answered `revoke`: revoked (`cessationOfOperation`) once the renewed
   * certificate is live, then cleared. Kept in the record so that a run killed in between still
   * revokes it.
   */
  readonly revokeAfterRenewal?: string;
}

/** The share of a certificate's lifetime after which the SDK's own rule starts the window: a third is left. */
export const OWN_WINDOW_START = 2 / 3;
/** The share after which the own window ends: a sixth is left (the reference CA's default advice ends there too). */
export const OWN_WINDOW_END = 5 / 6;

/** First wait after a failed renewal: one hour. */
export const RENEWAL_RETRY_FIRST_MS = 60 * 60 * 1000;
/** Longest wait between failed renewals: one day. */
export const RENEWAL_RETRY_MAX_MS = 24 * 60 * 60 * 1000;

/** The window of the SDK's own rule: from two thirds of the lifetime to five sixths. */
export function ownWindow(notBefore: Date, notAfter: Date): RenewalWindow {
  const from = notBefore.getTime();
  const lifetime = notAfter.getTime() - from;
  return { start: new Date(from + lifetime * OWN_WINDOW_START), end: new Date(from + lifetime * OWN_WINDOW_END) };
}

/**
 * The point in `window` at which the certificate `serialHex` is due: `start` plus a fraction of
 * the window drawn from the SHA-256 of the serial. The serial is random (the CA draws it), so a
 * fleet spreads over the window (RFC 9773 §4.2: "select a uniform random time within the
 * suggested window"), while one certificate keeps its point from run to run without a write,
 * and follows the window when the CA moves it. A window already over is due at its start.
 */
export function dueTimeIn(window: RenewalWindow, serialHex: string): Date {
  const start = window.start.getTime();
  const span = Math.max(0, window.end.getTime() - start);
  const fraction = createHash('sha256').update(serialHex.toLowerCase()).digest().readUInt32BE(0) / 2 ** 32;
  return new Date(start + Math.floor(span * fraction));
}

/**
 * When to try again after `failures` failed attempts in a row (1 or more): one hour, doubling up
 * to one day, times a factor in [0.8, 1.2) from `random` so that installers that failed together
 * (a CA down) do not come back together.
 */
export function nextAttemptAfter(failures: number, nowMs: number, random: () => number = Math.random): Date {
  const base = Math.min(RENEWAL_RETRY_MAX_MS, RENEWAL_RETRY_FIRST_MS * 2 ** Math.max(0, Math.min(failures - 1, 16)));
  return new Date(nowMs + Math.round(base * (0.8 + 0.4 * random())));
}

const SERIAL_HEX = /^[0-9a-f]{1,40}$/;
const isTime = (value: unknown): value is string => typeof value === 'string' && !Number.isNaN(Date.parse(value));
const isNames = (value: unknown): value is string[] => Array.isArray(value) && value.every((x) => typeof x === 'string' && x !== '');
const isFields = (value: unknown): value is { readonly [key: string]: unknown } => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Validates the `renewal` field of a state document, field by field (a file edited by hand is
 * refused, not half-trusted). `checkRequest` is the state file's own check of a recorded request.
 */
export function checkRenewalRecord(value: unknown, refuse: (why: string) => never, checkRequest: (value: unknown) => RecordedRequest): RenewalRecord {
  if (!isFields(value)) return refuse('renewal is malformed');
  const { serialHex, dueAt, dueSource, failures, nextAttemptAt, lastFailure, replaces, droppedNames, revokeAfterRenewal } = value;
  if (typeof serialHex !== 'string' || !SERIAL_HEX.test(serialHex)) return refuse('renewal.serialHex is malformed');
  if (dueAt !== undefined && !isTime(dueAt)) return refuse('renewal.dueAt is not a time');
  if (dueSource !== undefined && dueSource !== 'ca' && dueSource !== 'lifetime') return refuse('renewal.dueSource is malformed');
  if (typeof failures !== 'number' || !Number.isSafeInteger(failures) || failures < 0) return refuse('renewal.failures is malformed');
  if (nextAttemptAt !== undefined && !isTime(nextAttemptAt)) return refuse('renewal.nextAttemptAt is not a time');
  if (droppedNames !== undefined && !isNames(droppedNames)) return refuse('renewal.droppedNames is malformed');
  if (revokeAfterRenewal !== undefined && (typeof revokeAfterRenewal !== 'string' || !SERIAL_HEX.test(revokeAfterRenewal)))
    return refuse('renewal.revokeAfterRenewal is malformed');
  let failure: RenewalFailure | undefined;
  if (lastFailure !== undefined) {
    if (!isFields(lastFailure) || typeof lastFailure.code !== 'string' || typeof lastFailure.message !== 'string' || !isTime(lastFailure.at))
      return refuse('renewal.lastFailure is malformed');
    failure = { code: lastFailure.code, message: lastFailure.message, at: lastFailure.at };
  }
  let replaced: ReplacedCertificate | undefined;
  if (replaces !== undefined) {
    if (!isFields(replaces)) return refuse('renewal.replaces is malformed');
    const { installedVersion, requestId, request, names } = replaces;
    if (typeof installedVersion !== 'number' || !Number.isSafeInteger(installedVersion) || installedVersion < 1)
      return refuse('renewal.replaces.installedVersion is malformed');
    if (requestId !== null && (typeof requestId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(requestId)))
      return refuse('renewal.replaces.requestId is malformed');
    if (!isFields(names) || !isNames(names.email) || !isNames(names.dns)) return refuse('renewal.replaces.names is malformed');
    replaced = { installedVersion, requestId, request: checkRequest(request), names: { email: names.email, dns: names.dns } };
  }
  return {
    serialHex,
    ...(dueAt === undefined ? {} : { dueAt }),
    ...(dueSource === undefined ? {} : { dueSource }),
    failures,
    ...(nextAttemptAt === undefined ? {} : { nextAttemptAt }),
    ...(failure === undefined ? {} : { lastFailure: failure }),
    ...(replaced === undefined ? {} : { replaces: replaced }),
    ...(droppedNames === undefined ? {} : { droppedNames }),
    ...(revokeAfterRenewal === undefined ? {} : { revokeAfterRenewal }),
  };
}
