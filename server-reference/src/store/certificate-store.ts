/**
 * The certificates table: every certificate the CA signs is written here in the same
 * transaction that takes its serial number, before it leaves the server.
 */
import type { SubjectAltNames } from '@certwizard/pki';
import { SerialNumberError } from '../errors.js';
import type { Db } from './database.js';

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

/** How many random serials are tried before giving up; a collision at 127 bits is a bug. */
const MAX_SERIAL_ATTEMPTS = 4;

/** Repository over the certificates and crl_state tables. */
export class CertificateStore {
  readonly #db: Db;
  readonly #insert;
  readonly #bySerial;
  readonly #revoked;
  readonly #nextCrl;
  readonly #issueOnce: (serialHex: string, sign: (serialHex: string) => SignedForStore, requester: string, publicKeySha1: string) => SignedForStore;
  readonly #now: () => number;

  constructor(db: Db, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#insert = db.prepare(`INSERT INTO certificates
      (serial_hex, subject, san_json, not_before_ms, not_after_ms, pem, requester, public_key_sha1, fingerprint_sha256, created_at_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#bySerial = db.prepare('SELECT * FROM certificates WHERE serial_hex = ?');
    this.#revoked = db.prepare(
      "SELECT serial_hex, revoked_at_ms, revocation_reason FROM certificates WHERE status = 'revoked' ORDER BY id",
    );
    this.#nextCrl = db.prepare('UPDATE crl_state SET crl_number = crl_number + 1 WHERE id = 1 RETURNING crl_number');
    // Built once: better-sqlite3 wraps BEGIN/COMMIT around the function on every call.
    this.#issueOnce = db.transaction((serialHex: string, sign: (s: string) => SignedForStore, requester: string, publicKeySha1: string) => {
      const signed = sign(serialHex);
      this.#insert.run(
        serialHex,
        signed.subject,
        JSON.stringify(signed.subjectAltNames),
        signed.notBefore.getTime(),
        signed.notAfter.getTime(),
        signed.pem,
        requester,
        publicKeySha1,
        signed.fingerprintSha256,
        this.#now(),
      );
      return signed;
    });
  }

  /**
   * Takes a serial number and stores the certificate signed for it, in one transaction.
   * `sign` runs inside the transaction and must be synchronous: if it throws, nothing is stored.
   *
   * @param nextSerial - gives a candidate serial (lower-case hex, DER-minimal, positive).
   * @param fixedSerial - true when the serial came from a hook: a collision is then an error
   *   instead of a retry.
   * @throws {SerialNumberError} `ERR_CA_SERIAL` when the serial is taken.
   */
  issue(
    nextSerial: () => string,
    sign: (serialHex: string) => SignedForStore,
    meta: { requester: string; publicKeySha1: string; fixedSerial?: boolean },
  ): StoredCertificate & { serialHex: string } {
    const attempts = meta.fixedSerial ? 1 : MAX_SERIAL_ATTEMPTS;
    for (let attempt = 1; ; attempt++) {
      const serialHex = nextSerial();
      try {
        const signed = this.#issueOnce(serialHex, sign, meta.requester, meta.publicKeySha1);
        return {
          serialHex,
          ...signed,
          requester: meta.requester,
          publicKeySha1: meta.publicKeySha1,
          status: 'valid' as const,
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

  /** Finds a certificate by serial (lower-case hex). */
  get(serialHex: string): StoredCertificate | undefined {
    const row = this.#bySerial.get(serialHex) as Row | undefined;
    return row ? fromRow(row) : undefined;
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
    const tables = this.#db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[];
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
