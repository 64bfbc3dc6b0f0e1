/**
 * Certificate requests kept by the CA (migration 4, `certificate_requests`): every request the
 * CAcert-style API accepted, issued at once or waiting for approval, with what the CA decided to
 * certify for it. Approving, discarding and rejecting are single-row state changes guarded by the
 * current state, so two clicks (or two approvers) cannot both act on one request.
 */
import { randomBytes } from 'node:crypto';
import {
  type CertificateRequest,
  type DistinguishedName,
  type ExtendedKeyUsageName,
  formatKeyDescription,
  formatName,
  type SubjectAltNames,
} from '@certwizard/pki';
import type { RequestSource } from '@certwizard/protocol';
import type { Insertable, Selectable } from 'kysely';
import type { CertificateRequestsTable } from './schema.js';
import type { SqlDatabase } from './sqlite-dialect.js';

/** Where a request came from: the wire's sources (migration 4's CHECK lists the same). */
export type { RequestSource };

/** Who decides a pending request: its owner (account page) or an operator (`/operator/queue`). */
export type RequestApprover = 'owner' | 'operator';

/** Life of a request: `pending` -> `approved` (issuing) -> `issued`, or `discarded` / `rejected`. */
export type RequestStatus = 'pending' | 'approved' | 'issued' | 'discarded' | 'rejected';

/** What the CA decided to certify; the request's own subject and names are not used. */
export interface DecidedProfile {
  readonly subject: DistinguishedName;
  readonly subjectAltNames: SubjectAltNames;
  readonly extendedKeyUsage: readonly ExtendedKeyUsageName[];
}

/** A stored request. */
export interface CertificateRequestRecord {
  /** Random, 22 base64url characters: the handle given to the requester. */
  readonly id: string;
  /**
   * The account it belongs to; `undefined` only for a SCEP request sent to the CA's own `/scep`
   * without an owner's PIN (source `scep`, approver `operator`): SCEP does not say who asks.
   */
  readonly accountId: number | undefined;
  readonly csrPem: string;
  /** The request's own subject, formatted, as the requester wrote it (for display). */
  readonly subject: string;
  readonly profile: DecidedProfile;
  /** e.g. `RSA 2048`, `ECDSA P-256`. */
  readonly keyDescription: string;
  /** Lower-case hex SHA-256 of the DER request. */
  readonly fingerprintSha256: string;
  readonly source: RequestSource;
  /** The installation token that sent it, when `source` is `installation`. */
  readonly installationTokenId?: number;
  /** Who decides it while pending (migration 5; `owner` for older rows). */
  readonly approver: RequestApprover;
  readonly status: RequestStatus;
  /** The approver's reason, for `rejected`. */
  readonly reason?: string;
  /** Serial (lower-case hex) of the certificate, for `issued`. */
  readonly certificateSerial?: string;
  readonly createdAtMs: number;
  readonly decidedAtMs?: number;
}

/** What {@link CertificateRequestRepository.create} stores. */
export type NewCertificateRequest = Omit<
  CertificateRequestRecord,
  'id' | 'approver' | 'status' | 'reason' | 'certificateSerial' | 'createdAtMs' | 'decidedAtMs'
> & {
  /** Default `owner`. */
  readonly approver?: RequestApprover;
};

/**
 * The fields of a request record that describe its CSR, as the account and operator pages show
 * them: the PEM, the subject, the key (e.g. `ECDSA P-256`) and the SHA-256 of the request.
 * @example
 * await requests.create(newRequestId(), { accountId, ...describeCsr(csr), profile, source: 'ccsr' });
 */
export function describeCsr(csr: CertificateRequest): { csrPem: string; subject: string; keyDescription: string; fingerprintSha256: string } {
  return {
    csrPem: csr.pem,
    subject: formatName(csr.subject),
    keyDescription: formatKeyDescription(csr.key),
    fingerprintSha256: csr.fingerprintSha256,
  };
}

/**
 * A new random request id: 22 base64url characters (128 bits), never sequential, since the
 * status URL is handed to installers and must not let one enumerate others' requests.
 */
export function newRequestId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Storage of certificate requests. Contract: every decision is one guarded state change
 * ({@link CertificateRequestRepository.transition} moves a request only from the state named),
 * so two clicks or two approvers cannot both act on one request. A PostgreSQL implementation
 * keeps the same table and the same conditional `UPDATE`s.
 */
export interface CertificateRequestRepository {
  /**
   * Stores a request as pending under `id` (see {@link newRequestId}).
   * @returns the stored record.
   */
  create(id: string, input: NewCertificateRequest): Promise<CertificateRequestRecord>;
  /** A request by id; `undefined` for an unknown or malformed id. */
  get(id: string): Promise<CertificateRequestRecord | undefined>;
  /** A request by id if it belongs to the account; another account's counts as none. */
  getOf(accountId: number, id: string): Promise<CertificateRequestRecord | undefined>;
  /** The account's pending requests that its owner decides, oldest first. */
  pendingOf(accountId: number): Promise<CertificateRequestRecord[]>;
  /** All of the account's requests, newest first. */
  allOf(accountId: number): Promise<CertificateRequestRecord[]>;
  /**
   * The account's requests made from the request whose DER has SHA-256 `fingerprintSha256`
   * (lower-case hex), newest first: how a resent request is recognised.
   */
  withFingerprint(accountId: number, fingerprintSha256: string): Promise<CertificateRequestRecord[]>;
  /** Every account's pending requests that wait for an operator, oldest first. */
  awaitingOperator(): Promise<CertificateRequestRecord[]>;
  /**
   * Moves a request of the account from one state to another (`pending` -> `approved` before
   * issuing, `approved` -> `pending` when issuing failed, `pending` -> `discarded` / `rejected`).
   * @returns whether the request was in state `from` (and so has moved).
   */
  transition(accountId: number | undefined, id: string, from: RequestStatus, to: Exclude<RequestStatus, 'issued'>, reason?: string): Promise<boolean>;
}

/**
 * The SQLite implementation of {@link CertificateRequestRepository}. Requests issued at once,
 * and approved requests once signed, are written by the certificate repository's save, in the
 * transaction that stores their certificate.
 * @example
 * const requests = new CertificateRequestStore(sql);
 * const record = await requests.create(newRequestId(), { accountId, ...describeCsr(csr), profile, source: 'ccsr' });
 */
export class CertificateRequestStore implements CertificateRequestRepository {
  readonly #db: SqlDatabase;
  readonly #now: () => number;

  constructor(db: SqlDatabase, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  async create(id: string, input: NewCertificateRequest): Promise<CertificateRequestRecord> {
    await insertRequest(this.#db, { ...input, id }, this.#now());
    return (await this.get(id)) as CertificateRequestRecord;
  }

  async get(id: string): Promise<CertificateRequestRecord | undefined> {
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{22,64}$/.test(id)) return undefined;
    const row = await this.#db.selectFrom('certificate_requests').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async getOf(accountId: number, id: string): Promise<CertificateRequestRecord | undefined> {
    const record = await this.get(id);
    return record?.accountId === accountId ? record : undefined;
  }

  async pendingOf(accountId: number): Promise<CertificateRequestRecord[]> {
    const rows = await this.#select()
      .where('account_id', '=', accountId)
      .where('status', '=', 'pending')
      .where('approver', '=', 'owner')
      .orderBy('created_at_ms')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  async allOf(accountId: number): Promise<CertificateRequestRecord[]> {
    const rows = await this.#select().where('account_id', '=', accountId).orderBy('created_at_ms', 'desc').orderBy('id').execute();
    return rows.map(fromRow);
  }

  async withFingerprint(accountId: number, fingerprintSha256: string): Promise<CertificateRequestRecord[]> {
    const rows = await this.#select()
      .where('account_id', '=', accountId)
      .where('fingerprint_sha256', '=', fingerprintSha256)
      .orderBy('created_at_ms', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  async awaitingOperator(): Promise<CertificateRequestRecord[]> {
    const rows = await this.#select().where('status', '=', 'pending').where('approver', '=', 'operator').orderBy('created_at_ms').orderBy('id').execute();
    return rows.map(fromRow);
  }

  async transition(accountId: number | undefined, id: string, from: RequestStatus, to: Exclude<RequestStatus, 'issued'>, reason?: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('certificate_requests')
      .set({ status: to, reason: reason ?? null, decided_at_ms: to === 'pending' ? null : this.#now() })
      .where('id', '=', id)
      .where('account_id', accountId === undefined ? 'is' : '=', accountId ?? null)
      .where('status', '=', from)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  #select() {
    return this.#db.selectFrom('certificate_requests').selectAll();
  }
}

/**
 * Inserts a request row, pending, or issued with its certificate's serial (a request issued at
 * once is recorded too, so its id answers `GET /api/requests/:id` like any other). Shared with
 * the certificate repository, which records an issued request in its save transaction.
 */
export async function insertRequest(
  db: SqlDatabase,
  input: NewCertificateRequest & { readonly id: string },
  now: number,
  issuedSerial?: string,
): Promise<void> {
  await db
    .insertInto('certificate_requests')
    .values(requestRow(input, now, issuedSerial))
    .execute();
}

/** Every column of a `certificate_requests` row, as written. */
export type RequestRow = Required<Omit<Insertable<CertificateRequestsTable>, 'reason'>>;

/** The row of a new request (see {@link insertRequest}), every column given. */
export function requestRow(input: NewCertificateRequest & { readonly id: string }, now: number, issuedSerial?: string): RequestRow {
  const issued = issuedSerial !== undefined;
  return {
    id: input.id,
    account_id: input.accountId ?? null,
    csr_pem: input.csrPem,
    subject: input.subject,
    names_json: JSON.stringify(input.profile.subjectAltNames),
    profile_json: JSON.stringify(input.profile),
    key_description: input.keyDescription,
    fingerprint_sha256: input.fingerprintSha256,
    source: input.source,
    installation_token_id: input.installationTokenId ?? null,
    // A request without an account has no owner to decide it (migration 14's CHECK).
    approver: input.approver ?? (input.accountId === undefined ? 'operator' : 'owner'),
    status: issued ? 'issued' : 'pending',
    certificate_serial: issuedSerial ?? null,
    created_at_ms: now,
    decided_at_ms: issued ? now : null,
  };
}

function fromRow(r: Selectable<CertificateRequestsTable>): CertificateRequestRecord {
  return {
    id: r.id,
    accountId: r.account_id ?? undefined,
    csrPem: r.csr_pem,
    subject: r.subject,
    profile: JSON.parse(r.profile_json) as DecidedProfile,
    keyDescription: r.key_description,
    fingerprintSha256: r.fingerprint_sha256,
    source: r.source,
    ...(r.installation_token_id !== null ? { installationTokenId: r.installation_token_id } : {}),
    approver: r.approver,
    status: r.status,
    ...(r.reason !== null ? { reason: r.reason } : {}),
    ...(r.certificate_serial !== null ? { certificateSerial: r.certificate_serial } : {}),
    createdAtMs: r.created_at_ms,
    ...(r.decided_at_ms !== null ? { decidedAtMs: r.decided_at_ms } : {}),
  };
}
