/**
 * The certificates table: every certificate the CA signs is written here in the same
 * transaction that takes its serial number, before it leaves the server.
 */
import type { SubjectAltNames } from '@certwizard/pki';
import { SerialNumberError } from '../errors.js';
import { type Db, writeTransaction } from './database.js';

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

/** What the signer returns for a serial inside the transaction. */
export interface SignedForStore {
  readonly pem: string;
  readonly subject: string;
  readonly subjectAltNames: SubjectAltNames;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly fingerprintSha256: string;
}

interface Row {
  serial_hex: string;
  subject: string;
  san_json: string;
  not_before_ms: number;
  not_after_ms: number;
  pem: string;
  requester: string;
  public_key_sha1: string;
  fingerprint_sha256: string;
  status: 'valid' | 'revoked';
  revoked_at_ms: number | null;
  revocation_reason: string | null;
}

/** Who asked, and how {@link CertificateStore.issue} treats the request. */
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

type IssueOutcome = { readonly signed: SignedForStore } | { readonly replayed: StoredCertificate };

/** How many random serials are tried before giving up; a collision at 127 bits is a bug. */
const MAX_SERIAL_ATTEMPTS = 4;

/** Repository over the certificates and crl_state tables. */
export class CertificateStore {
  readonly #db: Db;
  readonly #insert;
  readonly #bySerial;
  readonly #revoked;
  readonly #nextCrl;
  readonly #replay;
  readonly #revoke;
  readonly #issueOnce: (serialHex: string, sign: (serialHex: string) => SignedForStore, meta: IssueMeta) => IssueOutcome;
  readonly #now: () => number;

  constructor(db: Db, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#insert = db.prepare(`INSERT INTO certificates
      (serial_hex, subject, san_json, not_before_ms, not_after_ms, pem, requester, public_key_sha1, fingerprint_sha256, created_at_ms, csr_sha256)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#bySerial = db.prepare('SELECT * FROM certificates WHERE serial_hex = ?');
    this.#revoked = db.prepare("SELECT serial_hex, revoked_at_ms, revocation_reason FROM certificates WHERE status = 'revoked' ORDER BY id");
    this.#nextCrl = db.prepare('UPDATE crl_state SET crl_number = crl_number + 1 WHERE id = 1 RETURNING crl_number');
    this.#replay = db.prepare(
      "SELECT * FROM certificates WHERE requester = ? AND csr_sha256 = ? AND status = 'valid' AND not_after_ms > ? ORDER BY id DESC LIMIT 1",
    );
    // One statement, guarded by the current status: two revocations of one certificate (two
    // clicks, two processes) revoke it once, and the first reason and time stand.
    this.#revoke = db.prepare(
      "UPDATE certificates SET status = 'revoked', revoked_at_ms = ?, revocation_reason = ? WHERE serial_hex = ? AND status = 'valid' AND (? IS NULL OR requester = ?)",
    );
    // Built once: better-sqlite3 wraps BEGIN IMMEDIATE/COMMIT around the function on every call.
    this.#issueOnce = writeTransaction(db, (serialHex: string, sign: (s: string) => SignedForStore, meta: IssueMeta): IssueOutcome => {
      // Checked again inside the transaction: two copies of one request racing each other get
      // one signature between them, never two.
      const earlier = meta.replayOf === undefined ? undefined : this.findReplay(meta.requester, meta.replayOf);
      if (earlier !== undefined) return { replayed: earlier };
      const signed = sign(serialHex);
      this.#insert.run(
        serialHex,
        signed.subject,
        JSON.stringify(signed.subjectAltNames),
        signed.notBefore.getTime(),
        signed.notAfter.getTime(),
        signed.pem,
        meta.requester,
        meta.publicKeySha1,
        signed.fingerprintSha256,
        this.#now(),
        meta.csrSha256 ?? null,
      );
      return { signed };
    });
  }

  /**
   * Takes a serial number and stores the certificate signed for it, in one transaction.
   * `sign` runs inside the transaction and must be synchronous: if it throws, nothing is stored.
   *
   * With `meta.replayOf`, a valid, unexpired certificate already signed for the same requester
   * and request (SHA-256 of its DER) is returned instead, with `replayed: true`, and nothing is
   * signed: an installer that resends its request after a crash gets the certificate it missed.
   *
   * @param nextSerial - gives a candidate serial (lower-case hex, DER-minimal, positive).
   * @param meta - `fixedSerial`: the serial came from a hook, so a collision is an error instead
   *   of a retry; `csrSha256`: recorded with the certificate for later replays.
   * @throws {SerialNumberError} `ERR_CA_SERIAL` when the serial is taken.
   */
  issue(nextSerial: () => string, sign: (serialHex: string) => SignedForStore, meta: IssueMeta): StoredCertificate & { replayed: boolean } {
    const attempts = meta.fixedSerial ? 1 : MAX_SERIAL_ATTEMPTS;
    for (let attempt = 1; ; attempt++) {
      const serialHex = nextSerial();
      try {
        const outcome = this.#issueOnce(serialHex, sign, meta);
        if ('replayed' in outcome) return { ...outcome.replayed, replayed: true };
        return {
          serialHex,
          ...outcome.signed,
          requester: meta.requester,
          publicKeySha1: meta.publicKeySha1,
          status: 'valid' as const,
          replayed: false,
        };
      } catch (err) {
        const unique = (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
        if (!unique) throw err;
        if (attempt >= attempts) {
          throw new SerialNumberError(`serial number ${serialHex} is already taken`, { cause: err });
        }
      }
    }
  }

  /**
   * The newest valid, unexpired certificate signed for `requester` from the request whose DER
   * has SHA-256 `csrSha256` (lower-case hex), if any.
   */
  findReplay(requester: string, csrSha256: string): StoredCertificate | undefined {
    const row = this.#replay.get(requester, csrSha256, this.#now()) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Finds a certificate by serial (lower-case hex). */
  get(serialHex: string): StoredCertificate | undefined {
    const row = this.#bySerial.get(serialHex) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /**
   * Revokes a valid certificate (RFC 5280 §5.3.1 reason names), now.
   * @param options - `requester`: revoke only a certificate issued to this requester (another's
   *   counts as none); `reason`: kept for the CRL entry, none by default.
   * @returns `revoked` when revoked now; `already_revoked`; `not_found` for an unknown serial
   *   or another requester's certificate.
   * @example
   * store.revoke('1234abcd', { requester: 'account:1', reason: 'keyCompromise' }); // 'revoked'
   */
  revoke(serialHex: string, options: { requester?: string; reason?: string } = {}): 'revoked' | 'already_revoked' | 'not_found' {
    const requester = options.requester ?? null;
    if (this.#revoke.run(this.#now(), options.reason ?? null, serialHex, requester, requester).changes === 1) return 'revoked';
    const existing = this.get(serialHex);
    if (existing === undefined || (requester !== null && existing.requester !== requester)) return 'not_found';
    return 'already_revoked';
  }

  /** Revoked certificates, oldest revocation first, for the CRL. */
  listRevoked(): { serialHex: string; revokedAt: Date; reason?: string }[] {
    return (this.#revoked.all() as Pick<Row, 'serial_hex' | 'revoked_at_ms' | 'revocation_reason'>[]).map((r) => ({
      serialHex: r.serial_hex,
      revokedAt: new Date(r.revoked_at_ms ?? 0),
      ...(r.revocation_reason ? { reason: r.revocation_reason } : {}),
    }));
  }

  /** Takes the next CRL number (RFC 5280 §5.2.3: monotonically increasing). */
  nextCrlNumber(): bigint {
    const row = this.#nextCrl.get() as { crl_number: number };
    return BigInt(row.crl_number);
  }

  /** Row counts of every table, for tests and health checks. */
  counts(): Record<string, number> {
    const tables = this.#db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
    const out: Record<string, number> = {};
    for (const { name } of tables) {
      out[name] = (this.#db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n;
    }
    return out;
  }
}

function fromRow(r: Row): StoredCertificate {
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
