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
  {
    version: 2,
    description: 'accounts, email confirmations, tickets, authorization codes, installation tokens',
    // Secrets the CA hands out (confirmation tokens, codes, installation tokens) are stored as
    // lower-case hex SHA-256 only; passwords and answers as self-describing scrypt strings.
    // Tickets are the exception: isitdone is keyed by the ticket, so it is stored as is, and the
    // plain one-time code waits in its row until redeemed or expired (see accounts/ticket-store.ts).
    // Reason codes are checked for shape, not against the list, so adding one needs no table rebuild.
    sql: `
      -- AUTOINCREMENT: a replaced pending account's id must never come back for someone else,
      -- since tickets, sessions and logs refer to accounts by id.
      CREATE TABLE accounts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        email TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(email) BETWEEN 3 AND 254 AND instr(email, '@') > 1),
        first_name TEXT NOT NULL CHECK (length(first_name) BETWEEN 1 AND 64),
        middle_name TEXT CHECK (middle_name IS NULL OR length(middle_name) BETWEEN 1 AND 64),
        last_name TEXT NOT NULL CHECK (length(last_name) BETWEEN 1 AND 64),
        date_of_birth TEXT NOT NULL CHECK (date(date_of_birth) IS date_of_birth),
        password_hash TEXT NOT NULL CHECK (substr(password_hash, 1, 7) = 'scrypt$'),
        question1 TEXT NOT NULL CHECK (length(question1) BETWEEN 1 AND 200),
        answer1_hash TEXT NOT NULL CHECK (substr(answer1_hash, 1, 7) = 'scrypt$'),
        question2 TEXT NOT NULL CHECK (length(question2) BETWEEN 1 AND 200),
        answer2_hash TEXT NOT NULL CHECK (substr(answer2_hash, 1, 7) = 'scrypt$'),
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active')),
        created_at_ms INTEGER NOT NULL,
        activated_at_ms INTEGER,
        CHECK ((status = 'active') = (activated_at_ms IS NOT NULL))
      ) STRICT;
      CREATE TABLE email_confirmations (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL CHECK (expires_at_ms > created_at_ms),
        used_at_ms INTEGER
      ) STRICT;
      CREATE INDEX email_confirmations_account ON email_confirmations (account_id);
      CREATE TABLE tickets (
        ticket TEXT PRIMARY KEY CHECK (length(ticket) BETWEEN 22 AND 64),
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL CHECK (expires_at_ms > created_at_ms),
        account_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
        email TEXT,
        error_reason TEXT CHECK (error_reason IS NULL OR (error_reason GLOB '[a-z]*' AND error_reason NOT GLOB '*[^a-z_]*')),
        completed_at_ms INTEGER,
        code_challenge TEXT CHECK (code_challenge IS NULL OR length(code_challenge) = 43),
        continue_url TEXT CHECK (continue_url IS NULL OR length(continue_url) BETWEEN 1 AND 2048),
        error_url TEXT CHECK (error_url IS NULL OR length(error_url) BETWEEN 1 AND 2048),
        code TEXT CHECK (code IS NULL OR (email IS NOT NULL AND code_challenge IS NOT NULL)),
        CHECK ((completed_at_ms IS NULL AND email IS NULL AND error_reason IS NULL)
          OR (completed_at_ms IS NOT NULL AND (email IS NULL) <> (error_reason IS NULL)))
      ) STRICT;
      CREATE INDEX tickets_account ON tickets (account_id) WHERE account_id IS NOT NULL;
      CREATE INDEX tickets_expires ON tickets (expires_at_ms);
      CREATE TABLE authorization_codes (
        id INTEGER PRIMARY KEY,
        code_hash TEXT NOT NULL UNIQUE CHECK (length(code_hash) = 64),
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        ticket TEXT REFERENCES tickets (ticket) ON DELETE SET NULL,
        code_challenge TEXT NOT NULL CHECK (length(code_challenge) = 43),
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL CHECK (expires_at_ms > created_at_ms),
        used_at_ms INTEGER
      ) STRICT;
      CREATE INDEX authorization_codes_account ON authorization_codes (account_id);
      CREATE INDEX authorization_codes_ticket ON authorization_codes (ticket) WHERE ticket IS NOT NULL;
      CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at_ms);
      CREATE TABLE installation_tokens (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        authorization_code_id INTEGER REFERENCES authorization_codes (id) ON DELETE SET NULL,
        label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
        created_at_ms INTEGER NOT NULL,
        last_used_at_ms INTEGER,
        revoked_at_ms INTEGER
      ) STRICT;
      CREATE INDEX installation_tokens_account ON installation_tokens (account_id);
      CREATE INDEX installation_tokens_code ON installation_tokens (authorization_code_id) WHERE authorization_code_id IS NOT NULL;
    `,
  },
  {
    version: 3,
    description: 'dev mailbox, login sessions, registration hand-offs kept with pending accounts',
    // Session ids are stored as SHA-256 only, like every other bearer secret; the CSRF token is
    // stored as is, since it is shown in every form of the session and proves nothing alone.
    // registration_handoffs keeps continue/error/challenge with a pending account, so the
    // confirmation link can finish a registration made without a ticket (or after it expired).
    sql: `
      CREATE TABLE dev_mailbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        "to" TEXT NOT NULL,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        html TEXT,
        raw TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX dev_mailbox_to ON dev_mailbox ("to" COLLATE NOCASE);
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL CHECK (length(csrf_token) = 43),
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL CHECK (expires_at_ms > created_at_ms)
      ) STRICT;
      CREATE INDEX sessions_expires ON sessions (expires_at_ms);
      CREATE TABLE registration_handoffs (
        account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
        continue_url TEXT CHECK (continue_url IS NULL OR length(continue_url) BETWEEN 1 AND 2048),
        error_url TEXT CHECK (error_url IS NULL OR length(error_url) BETWEEN 1 AND 2048),
        code_challenge TEXT CHECK (code_challenge IS NULL OR length(code_challenge) = 43),
        created_at_ms INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 4,
    description: 'code signing flag, additional confirmed addresses, certificate requests (pending queue)',
    // code_signing is granted by an operator, never by the account itself; 0 for every account
    // that exists when this runs. account_addresses holds confirmed addresses besides the
    // registration address (issue 5 fills it through the email ping); the registration address
    // stays in accounts.email. certificate_requests ids are random (never sequential), since the
    // status URL is handed to installers and must not let one enumerate others' requests.
    sql: `
      ALTER TABLE accounts ADD COLUMN code_signing INTEGER NOT NULL DEFAULT 0 CHECK (code_signing IN (0, 1));
      CREATE TABLE account_addresses (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        email TEXT NOT NULL COLLATE NOCASE CHECK (length(email) BETWEEN 3 AND 254 AND instr(email, '@') > 1),
        confirmed_at_ms INTEGER NOT NULL,
        UNIQUE (account_id, email)
      ) STRICT;
      CREATE TABLE certificate_requests (
        id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 22 AND 64),
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        csr_pem TEXT NOT NULL,
        subject TEXT NOT NULL,
        names_json TEXT NOT NULL,
        profile_json TEXT NOT NULL,
        key_description TEXT NOT NULL,
        fingerprint_sha256 TEXT NOT NULL CHECK (length(fingerprint_sha256) = 64),
        source TEXT NOT NULL CHECK (source IN ('ccsr', 'installation', 'registration', 'enrollment_secret')),
        installation_token_id INTEGER REFERENCES installation_tokens (id) ON DELETE SET NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'issued', 'discarded', 'rejected')),
        reason TEXT CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 500),
        certificate_serial TEXT REFERENCES certificates (serial_hex),
        created_at_ms INTEGER NOT NULL,
        decided_at_ms INTEGER,
        CHECK ((status = 'issued') = (certificate_serial IS NOT NULL)),
        CHECK ((status = 'pending') = (decided_at_ms IS NULL))
      ) STRICT;
      CREATE INDEX certificate_requests_account ON certificate_requests (account_id, status);
      CREATE INDEX certificate_requests_pending ON certificate_requests (status) WHERE status = 'pending';
    `,
  },
  {
    version: 5,
    description: 'operators and their sessions, operator-approved requests, one-time enrollment secrets',
    // Operators are not accounts: they sign in at /operator/login with their own session table
    // (same shape as sessions, so SessionStore serves both). approver says who decides a pending
    // request: its owner (the account page) or an operator (/operator/queue, DNS names). An
    // enrollment secret is a bearer secret, stored as SHA-256 only, usable once before it expires.
    sql: `
      CREATE TABLE operators (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        email TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(email) BETWEEN 3 AND 254 AND instr(email, '@') > 1),
        password_hash TEXT NOT NULL CHECK (substr(password_hash, 1, 7) = 'scrypt$'),
        created_at_ms INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE operator_sessions (
        id_hash TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
        account_id INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL CHECK (length(csrf_token) = 43),
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL CHECK (expires_at_ms > created_at_ms)
      ) STRICT;
      CREATE INDEX operator_sessions_expires ON operator_sessions (expires_at_ms);
      ALTER TABLE certificate_requests ADD COLUMN approver TEXT NOT NULL DEFAULT 'owner' CHECK (approver IN ('owner', 'operator'));
      CREATE TABLE enrollment_secrets (
        id INTEGER PRIMARY KEY,
        secret_hash TEXT NOT NULL UNIQUE CHECK (length(secret_hash) = 64),
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL CHECK (expires_at_ms > created_at_ms),
        used_at_ms INTEGER
      ) STRICT;
      CREATE INDEX enrollment_secrets_account ON enrollment_secrets (account_id);
    `,
  },
  {
    version: 6,
    description: 'replays: the request a certificate was signed for, and requests by fingerprint',
    // An installer that crashed after sending a request sends the same request again when it
    // resumes. csr_sha256 (SHA-256 of the request's DER) lets the ssl_api endpoint answer that
    // replay with the certificate it already signed instead of signing a second one; NULL for
    // certificates signed before this version, which simply are never replayed. The request
    // index serves the same lookup for the CAcert-style API and GET /api/requests?fingerprint=.
    sql: `
      ALTER TABLE certificates ADD COLUMN csr_sha256 TEXT CHECK (csr_sha256 IS NULL OR length(csr_sha256) = 64);
      CREATE INDEX certificates_replay ON certificates (requester, csr_sha256) WHERE csr_sha256 IS NOT NULL;
      CREATE INDEX certificate_requests_fingerprint ON certificate_requests (account_id, fingerprint_sha256);
    `,
  },
  {
    version: 7,
    description: 'the email ping: the nonce of a registration ping, pings to additional addresses',
    // A nonce is stored as SHA-256 only, like every bearer secret: it lets a mail server confirm
    // an address by itself. The registration's nonce (the `PingNonce` hand-off parameter) goes
    // with the other hand-off values; NULL for every hand-off made before this version and for a
    // registration without PingNonce, whose confirmation a person only can make. A hand-off that
    // holds a nonce digest outlives the confirmation (its one-time values are cleared instead of
    // the row deleted, see HandoffStore.take): a machine repeating its confirmation with the same
    // nonce is answered 200, with another nonce 409, and that needs the digest afterwards.
    // address_pings holds the pings sent for POST /api/addresses: token and nonce as SHA-256,
    // single use (used_at_ms), with an expiry; confirming one adds the address to
    // account_addresses. created_at_ms is indexed per account for the hourly ping limit.
    sql: `
      ALTER TABLE registration_handoffs ADD COLUMN ping_nonce_hash TEXT CHECK (ping_nonce_hash IS NULL OR length(ping_nonce_hash) = 64);
      CREATE TABLE address_pings (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        email TEXT NOT NULL COLLATE NOCASE CHECK (length(email) BETWEEN 3 AND 254 AND instr(email, '@') > 1),
        nonce_hash TEXT CHECK (nonce_hash IS NULL OR length(nonce_hash) = 64),
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL CHECK (expires_at_ms > created_at_ms),
        used_at_ms INTEGER
      ) STRICT;
      CREATE INDEX address_pings_account ON address_pings (account_id, created_at_ms);
    `,
  },
  {
    version: 8,
    description: 'ping nonces: given with the ticket over the back channel, and used once across the CA',
    // A nonce lets the installer's mail server confirm an address by itself, so whoever presents
    // it to the CA can have that address confirmed: it must not travel through the browser, and
    // it must not be usable twice. tickets.ping_nonce keeps the nonce an installer gave with
    // `POST givemeaticket` until the registration's ping is mailed (then wiped; the ping itself
    // carries it). ping_nonces records the SHA-256 of every nonce the CA accepted from any
    // requester, so that a nonce seen once (in a URL, a leaked page) is refused everywhere else.
    sql: `
      ALTER TABLE tickets ADD COLUMN ping_nonce TEXT CHECK (ping_nonce IS NULL OR length(ping_nonce) BETWEEN 22 AND 128);
      CREATE TABLE ping_nonces (
        digest TEXT PRIMARY KEY CHECK (length(digest) = 64),
        created_at_ms INTEGER NOT NULL
      ) STRICT;
      INSERT OR IGNORE INTO ping_nonces (digest, created_at_ms)
        SELECT nonce_hash, created_at_ms FROM address_pings WHERE nonce_hash IS NOT NULL;
      INSERT OR IGNORE INTO ping_nonces (digest, created_at_ms)
        SELECT ping_nonce_hash, created_at_ms FROM registration_handoffs WHERE ping_nonce_hash IS NOT NULL;
      CREATE INDEX address_pings_recipient ON address_pings (email, created_at_ms);
    `,
  },
  {
    version: 9,
    description: 'who started a registration: the user code of each ticket, where and when the flow began',
    // RFC 8628 §5.4 (remote phishing): the confirmation page must tell the person which flow they
    // are asked to confirm. tickets.user_code is the short code the installer shows (made with
    // the ticket, answered with it); tickets.created_from is the address that asked for the
    // ticket. The hand-off row keeps the same for the pages shown before the confirmation, plus
    // when the flow started; NULL for hand-offs made before this version (the pages then say that
    // nothing is known of the installer). An address is stored as the CA saw it, as in its logs.
    sql: `
      ALTER TABLE tickets ADD COLUMN user_code TEXT CHECK (user_code IS NULL OR length(user_code) = 9);
      ALTER TABLE tickets ADD COLUMN created_from TEXT CHECK (created_from IS NULL OR length(created_from) <= 64);
      ALTER TABLE registration_handoffs ADD COLUMN user_code TEXT CHECK (user_code IS NULL OR length(user_code) = 9);
      ALTER TABLE registration_handoffs ADD COLUMN started_at_ms INTEGER;
      ALTER TABLE registration_handoffs ADD COLUMN started_from TEXT CHECK (started_from IS NULL OR length(started_from) <= 64);
    `,
  },
  {
    version: 10,
    description: 'rate limits shared by every CA process, serial numbers reserved before signing',
    // rate_limits: one token bucket per limiter and client key (`tickets:192.0.2.1`), updated in
    // a write transaction, so several CA processes sharing this database enforce one limit
    // together. A bucket untouched long enough to be full again is deleted by the purge (it
    // means the same as no row). serial_reservations: issuance takes a serial in its own short
    // transaction, signs outside any transaction, then saves the certificate and deletes the
    // reservation in a second one; a crash in between leaves a reserved serial, which is never
    // used again, and never a signed certificate without its row.
    sql: `
      CREATE TABLE rate_limits (
        bucket TEXT PRIMARY KEY CHECK (length(bucket) BETWEEN 1 AND 200),
        tokens REAL NOT NULL,
        updated_at_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX rate_limits_updated ON rate_limits (updated_at_ms);
      CREATE TABLE serial_reservations (
        serial_hex TEXT PRIMARY KEY CHECK (length(serial_hex) BETWEEN 2 AND 40),
        requester TEXT NOT NULL,
        csr_sha256 TEXT CHECK (csr_sha256 IS NULL OR length(csr_sha256) = 64),
        reserved_at_ms INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 11,
    description: 'domains of an account and their verification challenges',
    // account_domains: the domains an account holds (issue 13), as CAcert keeps them: a domain
    // (ASCII form, lower case, no trailing dot) is in one account at a time (UNIQUE: the service
    // frees another account's claim only when it is unverified and stale, or its verification
    // lapsed, in the transaction that adds it). verified_at_ms / verified_by / verified_address
    // record the last verification; NULL while none. domain_challenges: what the CA asked the
    // holder to show. An email ping stores its token and nonce as SHA-256 only (like
    // address_pings); a dns or http challenge stores its token and expected value as they are,
    // since both are published in the DNS or on a web server by design. Indexes serve the
    // hourly ping limits (per account, per address) and the live challenge of a domain.
    sql: `
      CREATE TABLE account_domains (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        domain TEXT NOT NULL UNIQUE CHECK (length(domain) BETWEEN 3 AND 253 AND domain = lower(domain) AND instr(domain, '.') > 1),
        added_at_ms INTEGER NOT NULL,
        verified_at_ms INTEGER,
        verified_by TEXT CHECK (verified_by IS NULL OR verified_by IN ('email', 'dns', 'http')),
        verified_address TEXT CHECK (verified_address IS NULL OR length(verified_address) BETWEEN 3 AND 254),
        CHECK ((verified_at_ms IS NULL) = (verified_by IS NULL)),
        CHECK (verified_address IS NULL OR verified_by = 'email')
      ) STRICT;
      CREATE INDEX account_domains_account ON account_domains (account_id);
      CREATE TABLE domain_challenges (
        id INTEGER PRIMARY KEY,
        domain_id INTEGER NOT NULL REFERENCES account_domains (id) ON DELETE CASCADE,
        account_id INTEGER NOT NULL,
        method TEXT NOT NULL CHECK (method IN ('email', 'dns', 'http')),
        token_hash TEXT UNIQUE CHECK (token_hash IS NULL OR length(token_hash) = 64),
        nonce_hash TEXT CHECK (nonce_hash IS NULL OR length(nonce_hash) = 64),
        address TEXT CHECK (address IS NULL OR length(address) BETWEEN 3 AND 254),
        token TEXT CHECK (token IS NULL OR length(token) BETWEEN 22 AND 128),
        expected TEXT CHECK (expected IS NULL OR length(expected) BETWEEN 22 AND 256),
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        used_at_ms INTEGER,
        CHECK ((method = 'email') = (token_hash IS NOT NULL AND address IS NOT NULL)),
        CHECK ((method = 'email') = (token IS NULL AND expected IS NULL))
      ) STRICT;
      CREATE INDEX domain_challenges_domain ON domain_challenges (domain_id, method);
      CREATE INDEX domain_challenges_account ON domain_challenges (account_id, created_at_ms);
      CREATE INDEX domain_challenges_address ON domain_challenges (address, created_at_ms) WHERE address IS NOT NULL;
    `,
  },
  {
    version: 12,
    description: 'renewal windows set by an operator, expiry notices claimed once',
    // renewal_windows: an operator's override of the renewal window a certificate's renewal
    // information answers (RFC 9773 §4.2), one row per certificate; without a row the CA answers
    // its default window (2/3 to 5/6 of the lifetime). expiry_notices: one row per (certificate,
    // threshold in days), inserted before the mail is sent, so the primary key lets one CA
    // process of several on this database send it; sent_at_ms stays NULL until the mailer took
    // it (a failed send deletes the claim, so a later run tries again). The partial index serves
    // the notice job's scan of valid certificates by expiry.
    sql: `
      CREATE TABLE renewal_windows (
        serial_hex TEXT PRIMARY KEY REFERENCES certificates (serial_hex) ON DELETE CASCADE,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        set_at_ms INTEGER NOT NULL,
        CHECK (start_ms < end_ms)
      ) STRICT;
      CREATE TABLE expiry_notices (
        serial_hex TEXT NOT NULL REFERENCES certificates (serial_hex) ON DELETE CASCADE,
        threshold_days INTEGER NOT NULL CHECK (threshold_days BETWEEN 1 AND 3650),
        claimed_at_ms INTEGER NOT NULL,
        sent_at_ms INTEGER,
        PRIMARY KEY (serial_hex, threshold_days)
      ) STRICT;
      CREATE INDEX certificates_valid_not_after ON certificates (not_after_ms) WHERE status = 'valid';
    `,
  },
  {
    version: 13,
    description: 'one-time revocation secrets',
    // One row per certificate's revocation secret, its SHA-256 only (the secret is handed out
    // once, in the answer that issued or held the request). holder is 'request:<id>' for an
    // account's request (a held request gets its secret before it has a certificate) or
    // 'serial:<hex>' for an ssl_api client's certificate (no request record); the primary key
    // makes a second secret for the same holder impossible, whichever CA process tries.
    // used_at_ms records the first revocation made with it.
    sql: `
      CREATE TABLE revocation_secrets (
        holder TEXT PRIMARY KEY CHECK (holder LIKE 'request:%' OR holder LIKE 'serial:%'),
        digest TEXT NOT NULL CHECK (length(digest) = 64),
        created_at_ms INTEGER NOT NULL,
        used_at_ms INTEGER
      ) STRICT;
      CREATE INDEX certificate_requests_serial ON certificate_requests (certificate_serial) WHERE certificate_serial IS NOT NULL;
    `,
  },
  {
    version: 14,
    description: 'SCEP: requests without an account, the scep source, SCEP transactions',
    // A SCEP request (RFC 8894) says nothing about who sends it: one sent to the CA's own /scep
    // without an owner's PIN belongs to no account, and waits for an operator (approver
    // 'operator'), or is issued for an operator's PIN. Rather than invent an account for them
    // (a fake owner would get their mail, their pages, their rate limits), certificate_requests
    // is rebuilt (SQLite cannot relax NOT NULL or a CHECK in place) with account_id NULL allowed
    // for source 'scep' only; every other source keeps its account. Their certificates are
    // recorded with the requester 'scep:no-account'. scep_transactions maps a transactionID, per signer
    // key, to the one request stored for it: a resent PKCSReq and a CertPoll name the
    // transaction, never our request id; the primary key keeps one request per transaction
    // across CA processes.
    sql: `
      CREATE TABLE certificate_requests_rebuilt (
        id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 22 AND 64),
        account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
        csr_pem TEXT NOT NULL,
        subject TEXT NOT NULL,
        names_json TEXT NOT NULL,
        profile_json TEXT NOT NULL,
        key_description TEXT NOT NULL,
        fingerprint_sha256 TEXT NOT NULL CHECK (length(fingerprint_sha256) = 64),
        source TEXT NOT NULL CHECK (source IN ('ccsr', 'installation', 'registration', 'enrollment_secret', 'scep')),
        installation_token_id INTEGER REFERENCES installation_tokens (id) ON DELETE SET NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'issued', 'discarded', 'rejected')),
        reason TEXT CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 500),
        certificate_serial TEXT REFERENCES certificates (serial_hex),
        created_at_ms INTEGER NOT NULL,
        decided_at_ms INTEGER,
        approver TEXT NOT NULL DEFAULT 'owner' CHECK (approver IN ('owner', 'operator')),
        CHECK ((status = 'issued') = (certificate_serial IS NOT NULL)),
        CHECK ((status = 'pending') = (decided_at_ms IS NULL)),
        CHECK (account_id IS NOT NULL OR (source = 'scep' AND approver = 'operator'))
      ) STRICT;
      INSERT INTO certificate_requests_rebuilt (id, account_id, csr_pem, subject, names_json, profile_json, key_description, fingerprint_sha256,
          source, installation_token_id, status, reason, certificate_serial, created_at_ms, decided_at_ms, approver)
        SELECT id, account_id, csr_pem, subject, names_json, profile_json, key_description, fingerprint_sha256,
          source, installation_token_id, status, reason, certificate_serial, created_at_ms, decided_at_ms, approver
        FROM certificate_requests;
      DROP TABLE certificate_requests;
      ALTER TABLE certificate_requests_rebuilt RENAME TO certificate_requests;
      CREATE INDEX certificate_requests_account ON certificate_requests (account_id, status);
      CREATE INDEX certificate_requests_pending ON certificate_requests (status) WHERE status = 'pending';
      CREATE INDEX certificate_requests_fingerprint ON certificate_requests (account_id, fingerprint_sha256);
      CREATE INDEX certificate_requests_serial ON certificate_requests (certificate_serial) WHERE certificate_serial IS NOT NULL;
      CREATE TABLE scep_transactions (
        transaction_id TEXT NOT NULL CHECK (length(transaction_id) BETWEEN 1 AND 128),
        signer_key_sha256 TEXT NOT NULL CHECK (length(signer_key_sha256) = 64),
        request_id TEXT NOT NULL REFERENCES certificate_requests (id) ON DELETE CASCADE,
        created_at_ms INTEGER NOT NULL,
        PRIMARY KEY (transaction_id, signer_key_sha256)
      ) STRICT;
    `,
  },
  {
    version: 15,
    description: 'SCEP: one-time PINs (challengePassword) and personal SCEP URL handles',
    // A SCEP PIN (RFC 8894 §2.3, the CSR's challengePassword) authorizes one request for the
    // names it is bound to. Only its SHA-256 is stored (digest), so a copy of the database
    // issues nothing. account_id NULL: made by an operator or `certwizard-ca scep-pin`; else
    // the owner's own PIN for their verified names. It is spent by one guarded UPDATE
    // (used_at_ms IS NULL AND expires_at_ms > now), so two CA processes cannot both use it;
    // used_by says what used it (a request id). scep_handles: the random part of an owner's
    // personal SCEP URL (/scep/u/<handle>), one per account (primary key), never reused (UNIQUE,
    // and rows are only ever added).
    sql: `
      CREATE TABLE scep_pins (
        id INTEGER PRIMARY KEY,
        digest TEXT NOT NULL UNIQUE CHECK (length(digest) = 64),
        account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
        dns_names_json TEXT NOT NULL,
        subject TEXT,
        created_by TEXT NOT NULL CHECK (length(created_by) BETWEEN 1 AND 200),
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        used_at_ms INTEGER,
        used_by TEXT,
        CHECK (dns_names_json <> '[]' OR subject IS NOT NULL),
        CHECK ((used_at_ms IS NULL) = (used_by IS NULL))
      ) STRICT;
      CREATE INDEX scep_pins_expiry ON scep_pins (expires_at_ms);
      CREATE INDEX scep_pins_account ON scep_pins (account_id) WHERE account_id IS NOT NULL;
      CREATE TABLE scep_handles (
        account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
        handle TEXT NOT NULL UNIQUE CHECK (length(handle) >= 22),
        created_at_ms INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 16,
    description: 'SCEP: a transaction is keyed by its signer certificate too (a renewal is its own transaction)',
    // certmonger renews with a PKCSReq signed by the current certificate (one of ours), often
    // with the transactionID of the first enrolment and, for getcert resubmit, the same key: keyed
    // by transactionID and signer key alone, that renewal was answered as a resend of the first
    // enrolment. signer_certificate_sha256 is the SHA-256 of the signer certificate when it is one
    // of this CA's (a renewal, RFC 8894 §3.3.1.2), and '' for a self-signed signer (a first
    // enrolment, whose polls may come under a fresh self-signed certificate of the same key).
    // Existing rows are first enrolments or renewals recorded by key; they keep ''.
    sql: `
      CREATE TABLE scep_transactions_rebuilt (
        transaction_id TEXT NOT NULL CHECK (length(transaction_id) BETWEEN 1 AND 128),
        signer_key_sha256 TEXT NOT NULL CHECK (length(signer_key_sha256) = 64),
        signer_certificate_sha256 TEXT NOT NULL DEFAULT '' CHECK (signer_certificate_sha256 = '' OR length(signer_certificate_sha256) = 64),
        request_id TEXT NOT NULL REFERENCES certificate_requests (id) ON DELETE CASCADE,
        created_at_ms INTEGER NOT NULL,
        PRIMARY KEY (transaction_id, signer_key_sha256, signer_certificate_sha256)
      ) STRICT;
      INSERT INTO scep_transactions_rebuilt (transaction_id, signer_key_sha256, request_id, created_at_ms)
        SELECT transaction_id, signer_key_sha256, request_id, created_at_ms FROM scep_transactions;
      DROP TABLE scep_transactions;
      ALTER TABLE scep_transactions_rebuilt RENAME TO scep_transactions;
    `,
  },
];
