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
import type { Db } from './database.js';

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
  readonly accountId: number;
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

/** What {@link CertificateRequestStore.create} stores. */
export type NewCertificateRequest = Omit<
  CertificateRequestRecord,
  'id' | 'approver' | 'status' | 'reason' | 'certificateSerial' | 'createdAtMs' | 'decidedAtMs'
> & {
  /** Default `owner`. */
  readonly approver?: RequestApprover;
};

interface Row {
  id: string;
  account_id: number;
  csr_pem: string;
  subject: string;
  names_json: string;
  profile_json: string;
  key_description: string;
  fingerprint_sha256: string;
  source: RequestSource;
  installation_token_id: number | null;
  approver: RequestApprover;
  status: RequestStatus;
  reason: string | null;
  certificate_serial: string | null;
  created_at_ms: number;
  decided_at_ms: number | null;
}

/** Repository of certificate requests. */
/**
 * The fields of a request record that describe its CSR, as the account and operator pages show
 * them: the PEM, the subject, the key (e.g. `ECDSA P-256`) and the SHA-256 of the request.
 * @example
 * requests.create({ accountId, ...describeCsr(csr), profile, source: 'ccsr' });
 */
export function describeCsr(csr: CertificateRequest): { csrPem: string; subject: string; keyDescription: string; fingerprintSha256: string } {
  return {
    csrPem: csr.pem,
    subject: formatName(csr.subject),
    keyDescription: formatKeyDescription(csr.key),
    fingerprintSha256: csr.fingerprintSha256,
  };
}

export class CertificateRequestStore {
  readonly #now: () => number;
  readonly #insert;
  readonly #byId;
  readonly #pendingOf;
  readonly #awaitingOperator;
  readonly #allOf;
  readonly #byFingerprint;
  readonly #transition;
  readonly #issued;

  constructor(db: Db, options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#insert = db.prepare(`INSERT INTO certificate_requests
      (id, account_id, csr_pem, subject, names_json, profile_json, key_description, fingerprint_sha256, source,
       installation_token_id, approver, status, certificate_serial, created_at_ms, decided_at_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#byId = db.prepare('SELECT * FROM certificate_requests WHERE id = ?');
    this.#pendingOf = db.prepare(
      "SELECT * FROM certificate_requests WHERE account_id = ? AND status = 'pending' AND approver = 'owner' ORDER BY created_at_ms, id",
    );
    this.#allOf = db.prepare('SELECT * FROM certificate_requests WHERE account_id = ? ORDER BY created_at_ms DESC, id');
    this.#byFingerprint = db.prepare('SELECT * FROM certificate_requests WHERE account_id = ? AND fingerprint_sha256 = ? ORDER BY created_at_ms DESC, id');
    this.#awaitingOperator = db.prepare("SELECT * FROM certificate_requests WHERE status = 'pending' AND approver = 'operator' ORDER BY created_at_ms, id");
    this.#transition = db.prepare('UPDATE certificate_requests SET status = ?, reason = ?, decided_at_ms = ? WHERE id = ? AND account_id = ? AND status = ?');
    this.#issued = db.prepare(
      "UPDATE certificate_requests SET status = 'issued', certificate_serial = ?, decided_at_ms = ? WHERE id = ? AND status IN ('pending', 'approved')",
    );
  }

  /**
   * Stores a request as pending, or as issued with its certificate's serial (a request issued at
   * once is recorded too, so its id answers `GET /api/requests/:id` like any other).
   * @returns the stored record with its new random id.
   * @example
   * const { id } = requests.create({ accountId, csrPem, ... }, { issuedSerial: issued.serialHex });
   */
  create(input: NewCertificateRequest, options: { issuedSerial?: string } = {}): CertificateRequestRecord {
    const id = randomBytes(16).toString('base64url');
    const now = this.#now();
    const issued = options.issuedSerial !== undefined;
    this.#insert.run(
      id,
      input.accountId,
      input.csrPem,
      input.subject,
      JSON.stringify(input.profile.subjectAltNames),
      JSON.stringify(input.profile),
      input.keyDescription,
      input.fingerprintSha256,
      input.source,
      input.installationTokenId ?? null,
      input.approver ?? 'owner',
      issued ? 'issued' : 'pending',
      options.issuedSerial ?? null,
      now,
      issued ? now : null,
    );
    return this.get(id) as CertificateRequestRecord;
  }

  /** A request by id; `undefined` for an unknown or malformed id. */
  get(id: string): CertificateRequestRecord | undefined {
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{22,64}$/.test(id)) return undefined;
    const row = this.#byId.get(id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** A request by id if it belongs to the account; another account's counts as none. */
  getOf(accountId: number, id: string): CertificateRequestRecord | undefined {
    const record = this.get(id);
    return record?.accountId === accountId ? record : undefined;
  }

  /** The account's pending requests that its owner decides, oldest first. */
  pendingOf(accountId: number): CertificateRequestRecord[] {
    return (this.#pendingOf.all(accountId) as Row[]).map(fromRow);
  }

  /** All of the account's requests, newest first. */
  allOf(accountId: number): CertificateRequestRecord[] {
    return (this.#allOf.all(accountId) as Row[]).map(fromRow);
  }

  /**
   * The account's requests made from the request whose DER has SHA-256 `fingerprintSha256`
   * (lower-case hex), newest first: how a resent request is recognised.
   */
  withFingerprint(accountId: number, fingerprintSha256: string): CertificateRequestRecord[] {
    return (this.#byFingerprint.all(accountId, fingerprintSha256) as Row[]).map(fromRow);
  }

  /** Every account's pending requests that wait for an operator, oldest first. */
  awaitingOperator(): CertificateRequestRecord[] {
    return (this.#awaitingOperator.all() as Row[]).map(fromRow);
  }

  /**
   * Moves a request of the account from one state to another (`pending` -> `approved` before
   * issuing, `approved` -> `pending` when issuing failed, `pending` -> `discarded` / `rejected`).
   * @returns whether the request was in state `from` (and so has moved).
   */
  transition(accountId: number, id: string, from: RequestStatus, to: Exclude<RequestStatus, 'issued'>, reason?: string): boolean {
    const decidedAt = to === 'pending' ? null : this.#now();
    return this.#transition.run(to, reason ?? null, decidedAt, id, accountId, from).changes === 1;
  }

  /** Records the certificate issued for a pending or approved request. */
  markIssued(id: string, serialHex: string): boolean {
    return this.#issued.run(serialHex, this.#now(), id).changes === 1;
  }
}

function fromRow(r: Row): CertificateRequestRecord {
  return {
    id: r.id,
    accountId: r.account_id,
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
