/**
 * The certificates and serial_reservations tables: every certificate the CA signs is
 * written here before it leaves the server. Issuance (see `ca/issuance.ts`) signs outside any
 * transaction, then calls {@link CertificateRepository.save} in one; a hook's fixed serial is
 * first taken with {@link CertificateRepository.reserveSerials} in a short transaction of its own.
 */
import type { SubjectAltNames } from '@certwizard/pki';
import { type NewCertificateRequest, requestRow, type RequestRow } from './certificate-requests.js';
import { precompile } from './precompiled-query.js';
import { compiledTransaction, runCompiled, type SqlDatabase } from './sqlite-dialect.js';
import type { CertificatesTable } from './schema.js';
import { type CompiledQuery, type Insertable, type Selectable, sql } from 'kysely';

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
  /** The serial came from a hook: it is reserved before signing, and a collision is an error, not a retry. */
  readonly fixedSerial?: boolean;
  /** SHA-256 of the request's DER, recorded with the certificate. */
  readonly csrSha256?: string;
  /** Answer a replay of this request (SHA-256 of its DER) with the certificate already signed for it. */
  readonly replayOf?: string;
  /**
   * SHA-256 (hex) of the one-time revocation secret made for this certificate, stored with it in
   * the save transaction (in revocation_secrets, under its new request, else its serial), so that
   * a certificate saved always has the secret its answer hands out. Not stored for a replay.
   */
  readonly revocationSecretDigest?: string;
}

/**
 * The certificate request that the saved certificate answers, written in the same transaction:
 * an approved request to mark issued (by id), or a new request recorded as issued at once.
 */
export type IssuedRequest = { readonly markIssued: string } | { readonly create: NewCertificateRequest & { readonly id: string } };

/**
 * What {@link CertificateRepository.save} did: saved, answered with an earlier copy's
 * certificate (`replayed`), or nothing because a certificate already has that serial (`taken`).
 */
export type SaveOutcome = { readonly saved: StoredCertificate } | { readonly replayed: StoredCertificate } | { readonly taken: true };

/**
 * Storage of certificates and serial numbers. Contract: a serial is handed out
 * once, ever (a reservation left by a crash is never reused); {@link save} is one transaction;
 * revocation is one guarded state change. A PostgreSQL implementation keeps the same tables,
 * with the unique constraints doing the same work.
 */
export interface CertificateRepository {
  /**
   * Takes fixed serials (a hook's) for certificates about to be signed, in one short
   * transaction: each one that no certificate and no other reservation has.
   * @param meta - who the serials are reserved for (`requester`), and the request, when known.
   * @returns the serials reserved now, in the order given; the others were taken.
   */
  reserveSerials(serials: readonly string[], meta: Pick<IssueMeta, 'requester' | 'csrSha256'>): Promise<string[]>;
  /** Gives back a reserved serial for which nothing was signed (the signer threw). */
  releaseSerial(serialHex: string): Promise<void>;
  /**
   * Stores a signed certificate with the request it answers, in one transaction, and ends the
   * serial's reservation when it had one (`meta.fixedSerial`; a random serial is not reserved).
   * A serial some certificate already has, or (for a random serial) one that is reserved,
   * stores nothing and answers `taken` (the unique index decides, so it holds across CA processes). With `meta.replayOf`, a copy of the same request
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
  /** The certificates issued to `requester`, newest first, at most `limit` (revoked ones included). */
  listOf(requester: string, limit: number): Promise<StoredCertificate[]>;
  /**
   * Revokes a valid certificate (RFC 5280 §5.3.1 reason names), now, in one guarded statement:
   * two revocations of one certificate revoke it once, and the first reason and time stand.
   * @param options - `requester`: revoke only a certificate issued to this requester (another's
   *   counts as none); `installationTokenId`: revoke only a certificate requested with this
   *   installation token (another's counts as none); `reason`: kept for the CRL entry, none by default.
   * @returns `revoked` when revoked now; `already_revoked`; `not_found` for an unknown serial
   *   or another requester's certificate.
   */
  revoke(serialHex: string, options?: RevokeOptions): Promise<'revoked' | 'already_revoked' | 'not_found'>;
  /**
   * Certificates for the operator's search, newest first, at most `limit`: by serial (a prefix of
   * the lower-case hex), by requester (an account's `account:<id>`), or by a name or subject
   * containing `text` (case-insensitive). Exactly one criterion.
   */
  search(criterion: { serialPrefix: string } | { requester: string } | { text: string }, limit: number): Promise<StoredCertificate[]>;
  /** Revoked certificates, oldest first, for the CRL. */
  listRevoked(): Promise<{ serialHex: string; revokedAt: Date; reason?: string }[]>;
  /**
   * How many certificates are revoked and when the latest was revoked (0 for none): one cheap
   * query (the partial index on revoked rows) that tells a CA process whether the CRL it made
   * earlier still lists every revocation, its own and other processes' on the same database.
   */
  revocationState(): Promise<{ count: number; lastRevokedAtMs: number }>;
}

/** Options of {@link CertificateRepository.revoke}. */
export interface RevokeOptions {
  /** Only a certificate issued to this requester (`account:<id>` or an ssl_api client). */
  readonly requester?: string;
  /** Only a certificate whose request was sent with this installation token (certificate_requests.installation_token_id). */
  readonly installationTokenId?: number;
  /** The RFC 5280 §5.3.1 reason name kept for the CRL entry. */
  readonly reason?: string;
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
  // The issuance path's queries, compiled once (see precompiled-query.ts).
  readonly #q;

  constructor(db: SqlDatabase, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#q = {
      replay: replayQueryOf(db),
      signedWith: precompile<'serial'>((slot) => db.selectFrom('certificates').select('id').where('serial_hex', '=', slot('serial'))),
      reserve: precompile<'serial' | 'requester' | 'csr' | 'now'>((slot) =>
        db
          .insertInto('serial_reservations')
          .values({ serial_hex: slot('serial'), requester: slot('requester'), csr_sha256: slot('csr'), reserved_at_ms: slot('now') })
          .onConflict((oc) => oc.column('serial_hex').doNothing()),
      ),
      insertSecret: precompile<'holder' | 'digest' | 'now'>((slot) =>
        db
          .insertInto('revocation_secrets')
          .values({ holder: slot('holder'), digest: slot('digest'), created_at_ms: slot('now'), used_at_ms: null })
          .onConflict((oc) => oc.column('holder').doNothing()),
      ),
      reserved: precompile<'serial'>((slot) => db.selectFrom('serial_reservations').select('serial_hex').where('serial_hex', '=', slot('serial'))),
      unreserve: precompile<'serial'>((slot) => db.deleteFrom('serial_reservations').where('serial_hex', '=', slot('serial'))),
      markIssued: precompile<'id' | 'serial' | 'now'>((slot) =>
        db
          .updateTable('certificate_requests')
          .set({ status: 'issued', certificate_serial: slot('serial'), decided_at_ms: slot('now') })
          .where('id', '=', slot('id'))
          .where('status', 'in', ['pending', 'approved']),
      ),
      insertRequest: precompile<keyof RequestRow>((slot) =>
        db.insertInto('certificate_requests').values({
          id: slot('id'),
          account_id: slot('account_id'),
          csr_pem: slot('csr_pem'),
          subject: slot('subject'),
          names_json: slot('names_json'),
          profile_json: slot('profile_json'),
          key_description: slot('key_description'),
          fingerprint_sha256: slot('fingerprint_sha256'),
          source: slot('source'),
          installation_token_id: slot('installation_token_id'),
          approver: slot('approver'),
          status: slot('status'),
          certificate_serial: slot('certificate_serial'),
          created_at_ms: slot('created_at_ms'),
          decided_at_ms: slot('decided_at_ms'),
        }),
      ),
      insert: precompile<keyof CertificateInsert>((slot) =>
        db
          .insertInto('certificates')
          .values({
            serial_hex: slot('serial_hex'),
            subject: slot('subject'),
            san_json: slot('san_json'),
            not_before_ms: slot('not_before_ms'),
            not_after_ms: slot('not_after_ms'),
            pem: slot('pem'),
            requester: slot('requester'),
            public_key_sha1: slot('public_key_sha1'),
            fingerprint_sha256: slot('fingerprint_sha256'),
            created_at_ms: slot('created_at_ms'),
            csr_sha256: slot('csr_sha256'),
          })
          .onConflict((oc) => oc.column('serial_hex').doNothing()),
      ),
    };
  }

  reserveSerials(serials: readonly string[], meta: Pick<IssueMeta, 'requester' | 'csrSha256'>): Promise<string[]> {
    const now = this.#now();
    return compiledTransaction(this.#db, (run) =>
      serials.filter(
        (serial) =>
          run(this.#q.signedWith({ serial })).rows.length === 0 &&
          run(this.#q.reserve({ serial, requester: meta.requester, csr: meta.csrSha256 ?? null, now })).numAffectedRows === 1n,
      ),
    );
  }

  async releaseSerial(serialHex: string): Promise<void> {
    await runCompiled(this.#db, this.#q.unreserve({ serial: serialHex }));
  }

  save(serialHex: string, signed: SignedForStore, meta: IssueMeta, request?: IssuedRequest): Promise<SaveOutcome> {
    const now = this.#now();
    const row: CertificateInsert = {
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
    };
    return compiledTransaction(this.#db, (run): SaveOutcome => {
      if (meta.fixedSerial) run(this.#q.unreserve({ serial: serialHex }));
      // A random serial is not reserved, so it must not be one a fixed-serial issuance holds
      // (in flight, or left by a crash: such a serial is never handed out again).
      else if (run(this.#q.reserved({ serial: serialHex })).rows.length > 0) return { taken: true };
      // Checked again here: two copies of one request that raced each other past the first check
      // meet in this transaction, and only the first is stored.
      if (meta.replayOf !== undefined) {
        const [earlier] = run(this.#q.replay({ requester: meta.requester, csr: meta.replayOf, now })).rows;
        if (earlier !== undefined) return { replayed: fromRow(earlier) };
      }
      if (run(this.#q.insert(row)).numAffectedRows !== 1n) return { taken: true };
      if (request !== undefined && 'markIssued' in request) {
        const marked = run(this.#q.markIssued({ id: request.markIssued, serial: serialHex, now }));
        if (marked.numAffectedRows !== 1n) throw new Error(`request ${request.markIssued} is no longer approved`);
      } else if (request !== undefined) {
        run(this.#q.insertRequest(requestRow(request.create, now, serialHex)));
      }
      if (meta.revocationSecretDigest !== undefined && (request === undefined || 'create' in request)) {
        const holder = request === undefined ? `serial:${serialHex}` : `request:${request.create.id}`;
        run(this.#q.insertSecret({ holder, digest: meta.revocationSecretDigest, now }));
      }
      return { saved: { serialHex, ...signed, requester: meta.requester, publicKeySha1: meta.publicKeySha1, status: 'valid' } };
    });
  }

  async findReplay(requester: string, csrSha256: string): Promise<StoredCertificate | undefined> {
    const [row] = (await runCompiled(this.#db, this.#q.replay({ requester, csr: csrSha256, now: this.#now() }))).rows;
    return row ? fromRow(row) : undefined;
  }

  async get(serialHex: string): Promise<StoredCertificate | undefined> {
    const row = await this.#db.selectFrom('certificates').selectAll().where('serial_hex', '=', serialHex).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async listOf(requester: string, limit: number): Promise<StoredCertificate[]> {
    const rows = await this.#db
      .selectFrom('certificates')
      .selectAll()
      .where('requester', '=', requester)
      .orderBy('not_before_ms', 'desc')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  async revoke(serialHex: string, options: RevokeOptions = {}): Promise<'revoked' | 'already_revoked' | 'not_found'> {
    const { requester, installationTokenId } = options;
    // The holder's restrictions are part of the guarded statement, so a certificate that is not
    // the caller's is never touched, whatever runs beside it.
    const requestedWithToken = (id: number) =>
      this.#db
        .selectFrom('certificate_requests')
        .select('certificate_serial')
        .where('installation_token_id', '=', id)
        .where('certificate_serial', 'is not', null);
    let update = this.#db
      .updateTable('certificates')
      .set({ status: 'revoked', revoked_at_ms: this.#now(), revocation_reason: options.reason ?? null })
      .where('serial_hex', '=', serialHex)
      .where('status', '=', 'valid');
    if (requester !== undefined) update = update.where('requester', '=', requester);
    if (installationTokenId !== undefined) update = update.where('serial_hex', 'in', requestedWithToken(installationTokenId));
    if ((await update.executeTakeFirst()).numUpdatedRows === 1n) return 'revoked';
    const existing = await this.get(serialHex);
    if (existing === undefined || (requester !== undefined && existing.requester !== requester)) return 'not_found';
    if (installationTokenId !== undefined) {
      const own = await requestedWithToken(installationTokenId).where('certificate_serial', '=', serialHex).executeTakeFirst();
      if (own === undefined) return 'not_found';
    }
    return 'already_revoked';
  }

  async search(criterion: { serialPrefix: string } | { requester: string } | { text: string }, limit: number): Promise<StoredCertificate[]> {
    // instr/substr instead of LIKE: no wildcard in what an operator types needs escaping.
    let query = this.#db.selectFrom('certificates').selectAll();
    if ('serialPrefix' in criterion) {
      const prefix = criterion.serialPrefix.toLowerCase();
      query = query.where(sql<boolean>`substr(serial_hex, 1, ${prefix.length}) = ${prefix}`);
    } else if ('requester' in criterion) {
      query = query.where('requester', '=', criterion.requester);
    } else {
      const text = criterion.text.toLowerCase();
      query = query.where(sql<boolean>`(instr(lower(san_json), ${text}) > 0 OR instr(lower(subject), ${text}) > 0)`);
    }
    const rows = await query.orderBy('id', 'desc').limit(limit).execute();
    return rows.map(fromRow);
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

  async revocationState(): Promise<{ count: number; lastRevokedAtMs: number }> {
    const row = await this.#db
      .selectFrom('certificates')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.max('revoked_at_ms').as('last')])
      .where('status', '=', 'revoked')
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), lastRevokedAtMs: Number(row.last ?? 0) };
  }
}

/** The columns written for a new certificate (the rest take their defaults). */
type CertificateInsert = Required<Omit<Insertable<CertificatesTable>, 'id' | 'status' | 'revoked_at_ms' | 'revocation_reason'>>;

type ReplayQuery = (values: Record<'requester' | 'csr' | 'now', unknown>) => CompiledQuery<Selectable<CertificatesTable>>;

// The status and the limit are literals, not parameters: SQLite runs this query (twice per
// issuance) about five times faster with them written into it.
function replayQueryOf(db: SqlDatabase): ReplayQuery {
  return precompile<'requester' | 'csr' | 'now', Selectable<CertificatesTable>>((slot) =>
    db
      .selectFrom('certificates')
      .selectAll()
      .where('requester', '=', slot('requester'))
      .where('csr_sha256', '=', slot('csr'))
      .where('status', '=', sql.lit('valid'))
      .where('not_after_ms', '>', slot('now'))
      .orderBy('id', 'desc')
      .limit(sql.lit(1)),
  );
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
