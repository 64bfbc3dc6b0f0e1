/**
 * The certificates, serial_reservations and crl_state tables: every certificate the CA signs is
 * written here before it leaves the server. Issuance is three steps (see `ca/issuance.ts`):
 * {@link CertificateRepository.reserveSerial} in one short transaction, signing outside any
 * transaction, then {@link CertificateRepository.save} in a second one.
 */
import type { SubjectAltNames } from '@certwizard/pki';
import { insertRequest, markRequestIssued, type NewCertificateRequest } from './certificate-requests.js';
import type { SqlDatabase } from './sqlite-dialect.js';
import type { CertificatesTable } from './schema.js';
import type { Selectable } from 'kysely';

/** A stored certificate row. */
export interface StoredCertificate {
  readonly serialHex: string;
  readonly subject: string;
  readonly subjectAltNames: SubjectAltNames;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly pem: string;
  readonly requester: string;
  readonly publicKeySha1: string;
  readonly fingerprintSha256: string;
  readonly status: 'valid' | 'revoked';
  readonly revokedAt?: Date;
  readonly revocationReason?: string;
}

/** What the signer made for a reserved serial. */
export interface SignedForStore {
  readonly pem: string;
  readonly subject: string;
  readonly subjectAltNames: SubjectAltNames;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly fingerprintSha256: string;
}

/** Who asked, and what is recorded with the certificate. */
export interface IssueMeta {
  /** The requester stored with the certificate (ssl_api client or `account:<id>`). */
  readonly requester: string;
  readonly publicKeySha1: string;
  /** The serial came from a hook: a collision is an error, not a retry. */
  readonly fixedSerial?: boolean;
  /** SHA-256 of the request's DER, recorded with the certificate. */
  readonly csrSha256?: string;
  /** Answer a replay of this request (SHA-256 of its DER) with the certificate already signed for it. */
  readonly replayOf?: string;
}

/**
 * The certificate request that the saved certificate answers, written in the same transaction:
 * an approved request to mark issued (by id), or a new request recorded as issued at once.
 */
export type IssuedRequest = { readonly markIssued: string } | { readonly create: NewCertificateRequest & { readonly id: string } };

/** What {@link CertificateRepository.save} did. */
export type SaveOutcome = { readonly saved: StoredCertificate } | { readonly replayed: StoredCertificate };

/**
 * Storage of certificates, serial numbers and the CRL number. Contract: a serial is handed out
 * once, ever (a reservation left by a crash is never reused); {@link save} is one transaction;
 * revocation is one guarded state change. A PostgreSQL implementation keeps the same tables,
 * with the unique constraints doing the same work, and `UPDATE ... RETURNING` for the CRL number.
 */
export interface CertificateRepository {
  /**
   * Takes `serialHex` for a certificate about to be signed, in its own short transaction.
   * @returns `reserved`, or `taken` when a certificate or another reservation has it.
   */
  reserveSerial(serialHex: string, meta: Pick<IssueMeta, 'requester' | 'csrSha256'>): Promise<'reserved' | 'taken'>;
  /** Gives back a reserved serial for which nothing was signed (the signer threw). */
  releaseSerial(serialHex: string): Promise<void>;
  /**
   * Stores the certificate signed for a reserved serial and ends the reservation, with the
   * request it answers, in one transaction. With `meta.replayOf`, a copy of the same request
   * that was saved meanwhile wins: its certificate is returned as `replayed` and this one is
   * not stored (it never leaves the server).
   */
  save(serialHex: string, signed: SignedForStore, meta: IssueMeta, request?: IssuedRequest): Promise<SaveOutcome>;
  /**
   * The newest valid, unexpired certificate signed for `requester` from the request whose DER
   * has SHA-256 `csrSha256` (lower-case hex), if any.
   */
  findReplay(requester: string, csrSha256: string): Promise<StoredCertificate | undefined>;
  /** Finds a certificate by serial (lower-case hex). */
  get(serialHex: string): Promise<StoredCertificate | undefined>;
  /**
   * Revokes a valid certificate (RFC 5280 §5.3.1 reason names), now, in one guarded statement:
   * two revocations of one certificate revoke it once, and the first reason and time stand.
   * @param options - `requester`: revoke only a certificate issued to this requester (another's
   *   counts as none); `reason`: kept for the CRL entry, none by default.
   * @returns `revoked` when revoked now; `already_revoked`; `not_found` for an unknown serial
   *   or another requester's certificate.
   */
  revoke(serialHex: string, options?: { requester?: string; reason?: string }): Promise<'revoked' | 'already_revoked' | 'not_found'>;
  /** Revoked certificates, oldest first, for the CRL. */
  listRevoked(): Promise<{ serialHex: string; revokedAt: Date; reason?: string }[]>;
  /** Takes the next CRL number (RFC 5280 §5.2.3: monotonically increasing). */
  nextCrlNumber(): Promise<bigint>;
}

/**
 * The SQLite implementation of {@link CertificateRepository} (Kysely; each transaction begins
 * IMMEDIATE, see `sqlite-dialect.ts`).
 * @example
 * const certificates = new CertificateStore(createSqlDatabase(openDatabase(dataDir)));
 * await certificates.get('1234abcd');
 */
export class CertificateStore implements CertificateRepository {
  readonly #db: SqlDatabase;
  readonly #now: () => number;

  constructor(db: SqlDatabase, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  reserveSerial(serialHex: string, meta: Pick<IssueMeta, 'requester' | 'csrSha256'>): Promise<'reserved' | 'taken'> {
    return this.#db.transaction().execute(async (trx) => {
      const signed = await trx.selectFrom('certificates').select('id').where('serial_hex', '=', serialHex).executeTakeFirst();
      if (signed !== undefined) return 'taken';
      const inserted = await trx
        .insertInto('serial_reservations')
        .values({ serial_hex: serialHex, requester: meta.requester, csr_sha256: meta.csrSha256 ?? null, reserved_at_ms: this.#now() })
        .onConflict((oc) => oc.column('serial_hex').doNothing())
        .executeTakeFirst();
      return inserted.numInsertedOrUpdatedRows === 1n ? 'reserved' : 'taken';
    });
  }

  async releaseSerial(serialHex: string): Promise<void> {
    await this.#db.deleteFrom('serial_reservations').where('serial_hex', '=', serialHex).execute();
  }

  save(serialHex: string, signed: SignedForStore, meta: IssueMeta, request?: IssuedRequest): Promise<SaveOutcome> {
    return this.#db.transaction().execute(async (trx): Promise<SaveOutcome> => {
      const now = this.#now();
      await trx.deleteFrom('serial_reservations').where('serial_hex', '=', serialHex).execute();
      // Checked again here: two copies of one request that raced each other past the first check
      // meet in this transaction, and only the first is stored.
      const earlier = meta.replayOf === undefined ? undefined : await findReplayIn(trx, meta.requester, meta.replayOf, now);
      if (earlier !== undefined) return { replayed: earlier };
      await trx
        .insertInto('certificates')
        .values({
          serial_hex: serialHex,
          subject: signed.subject,
          san_json: JSON.stringify(signed.subjectAltNames),
          not_before_ms: signed.notBefore.getTime(),
          not_after_ms: signed.notAfter.getTime(),
          pem: signed.pem,
          requester: meta.requester,
          public_key_sha1: meta.publicKeySha1,
          fingerprint_sha256: signed.fingerprintSha256,
          created_at_ms: now,
          csr_sha256: meta.csrSha256 ?? null,
        })
        .execute();
      if (request !== undefined && 'markIssued' in request) {
        if (!(await markRequestIssued(trx, request.markIssued, serialHex, now))) throw new Error(`request ${request.markIssued} is no longer approved`);
      } else if (request !== undefined) {
        await insertRequest(trx, request.create, now, serialHex);
      }
      return {
        saved: { serialHex, ...signed, requester: meta.requester, publicKeySha1: meta.publicKeySha1, status: 'valid' },
      };
    });
  }

  findReplay(requester: string, csrSha256: string): Promise<StoredCertificate | undefined> {
    return findReplayIn(this.#db, requester, csrSha256, this.#now());
  }

  async get(serialHex: string): Promise<StoredCertificate | undefined> {
    const row = await this.#db.selectFrom('certificates').selectAll().where('serial_hex', '=', serialHex).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async revoke(serialHex: string, options: { requester?: string; reason?: string } = {}): Promise<'revoked' | 'already_revoked' | 'not_found'> {
    const requester = options.requester;
    let update = this.#db
      .updateTable('certificates')
      .set({ status: 'revoked', revoked_at_ms: this.#now(), revocation_reason: options.reason ?? null })
      .where('serial_hex', '=', serialHex)
      .where('status', '=', 'valid');
    if (requester !== undefined) update = update.where('requester', '=', requester);
    if ((await update.executeTakeFirst()).numUpdatedRows === 1n) return 'revoked';
    const existing = await this.get(serialHex);
    if (existing === undefined || (requester !== undefined && existing.requester !== requester)) return 'not_found';
    return 'already_revoked';
  }

  async listRevoked(): Promise<{ serialHex: string; revokedAt: Date; reason?: string }[]> {
    const rows = await this.#db
      .selectFrom('certificates')
      .select(['serial_hex', 'revoked_at_ms', 'revocation_reason'])
      .where('status', '=', 'revoked')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      serialHex: r.serial_hex,
      revokedAt: new Date(r.revoked_at_ms ?? 0),
      ...(r.revocation_reason ? { reason: r.revocation_reason } : {}),
    }));
  }

  async nextCrlNumber(): Promise<bigint> {
    const row = await this.#db
      .updateTable('crl_state')
      .set((eb) => ({ crl_number: eb('crl_number', '+', 1) }))
      .where('id', '=', 1)
      .returning('crl_number')
      .executeTakeFirstOrThrow();
    return BigInt(row.crl_number);
  }
}

async function findReplayIn(db: SqlDatabase, requester: string, csrSha256: string, now: number): Promise<StoredCertificate | undefined> {
  const row = await db
    .selectFrom('certificates')
    .selectAll()
    .where('requester', '=', requester)
    .where('csr_sha256', '=', csrSha256)
    .where('status', '=', 'valid')
    .where('not_after_ms', '>', now)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

function fromRow(r: Selectable<CertificatesTable>): StoredCertificate {
  return {
    serialHex: r.serial_hex,
    subject: r.subject,
    subjectAltNames: JSON.parse(r.san_json) as SubjectAltNames,
    notBefore: new Date(r.not_before_ms),
    notAfter: new Date(r.not_after_ms),
    pem: r.pem,
    requester: r.requester,
    publicKeySha1: r.public_key_sha1,
    fingerprintSha256: r.fingerprint_sha256,
    status: r.status,
    ...(r.revoked_at_ms !== null ? { revokedAt: new Date(r.revoked_at_ms) } : {}),
    ...(r.revocation_reason !== null ? { revocationReason: r.revocation_reason } : {}),
  };
}
