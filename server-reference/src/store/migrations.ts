/**
 * Versioned schema migrations. A migration is never edited once released: add a new one.
 * `PRAGMA user_version` records the version reached; each migration runs in a transaction.
 */

/** One schema step. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'certificates and CRL state',
    sql: `
      CREATE TABLE certificates (
        id INTEGER PRIMARY KEY,
        serial_hex TEXT NOT NULL UNIQUE CHECK (length(serial_hex) BETWEEN 2 AND 40),
        subject TEXT NOT NULL,
        san_json TEXT NOT NULL,
        not_before_ms INTEGER NOT NULL,
        not_after_ms INTEGER NOT NULL,
        pem TEXT NOT NULL,
        requester TEXT NOT NULL,
        public_key_sha1 TEXT NOT NULL,
        fingerprint_sha256 TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'revoked')),
        revoked_at_ms INTEGER,
        revocation_reason TEXT,
        created_at_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX certificates_requester ON certificates (requester);
      CREATE INDEX certificates_revoked ON certificates (status) WHERE status = 'revoked';
      CREATE TABLE crl_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        crl_number INTEGER NOT NULL
      ) STRICT;
      INSERT INTO crl_state (id, crl_number) VALUES (1, 0);
    `,
  },
];
