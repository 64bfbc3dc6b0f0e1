/**
 * The CA's tables as Kysely sees them: one interface per table, columns as stored (times in ms
 * since the epoch, booleans as 0/1, JSON as text), so that the same typed queries compile for
 * SQLite and for PostgreSQL. `migrations.ts` is the authority on constraints; this file only
 * mirrors the columns, and a new migration updates both.
 */
import type { Generated } from 'kysely';

/** `certificates` (migrations 1, 6): every certificate the CA signed. */
export interface CertificatesTable {
  id: Generated<number>;
  serial_hex: string;
  subject: string;
  san_json: string;
  not_before_ms: number;
  not_after_ms: number;
  pem: string;
  requester: string;
  public_key_sha1: string;
  fingerprint_sha256: string;
  status: Generated<'valid' | 'revoked'>;
  revoked_at_ms: number | null;
  revocation_reason: string | null;
  created_at_ms: number;
  csr_sha256: string | null;
}

/** `crl_state` (migration 1): one row, the last CRL number taken by CAs before CRL numbers came from the time; no longer written. */
export interface CrlStateTable {
  id: number;
  crl_number: number;
}

/** `serial_reservations` (migration 10): a serial taken before signing, until its certificate is saved. */
export interface SerialReservationsTable {
  serial_hex: string;
  requester: string;
  csr_sha256: string | null;
  reserved_at_ms: number;
}

/** `accounts` (migrations 2, 4). */
export interface AccountsTable {
  id: Generated<number>;
  email: string;
  first_name: string;
  middle_name: string | null;
  last_name: string;
  date_of_birth: string;
  password_hash: string;
  question1: string;
  answer1_hash: string;
  question2: string;
  answer2_hash: string;
  status: Generated<'pending' | 'active'>;
  created_at_ms: number;
  activated_at_ms: number | null;
  code_signing: Generated<0 | 1>;
}

/** `email_confirmations` (migration 2): the registration link's token, as SHA-256. */
export interface EmailConfirmationsTable {
  id: Generated<number>;
  token_hash: string;
  account_id: number;
  created_at_ms: number;
  expires_at_ms: number;
  used_at_ms: number | null;
}

/** `tickets` (migrations 2, 8, 9). */
export interface TicketsTable {
  ticket: string;
  created_at_ms: number;
  expires_at_ms: number;
  account_id: number | null;
  email: string | null;
  error_reason: string | null;
  completed_at_ms: number | null;
  code_challenge: string | null;
  continue_url: string | null;
  error_url: string | null;
  code: string | null;
  ping_nonce: string | null;
  user_code: string | null;
  created_from: string | null;
}

/** `authorization_codes` (migration 2). */
export interface AuthorizationCodesTable {
  id: Generated<number>;
  code_hash: string;
  account_id: number;
  ticket: string | null;
  code_challenge: string;
  created_at_ms: number;
  expires_at_ms: number;
  used_at_ms: number | null;
}

/** `installation_tokens` (migration 2). */
export interface InstallationTokensTable {
  id: Generated<number>;
  token_hash: string;
  account_id: number;
  authorization_code_id: number | null;
  label: string;
  created_at_ms: number;
  last_used_at_ms: number | null;
  revoked_at_ms: number | null;
}

/** `dev_mailbox` (migration 3). */
export interface DevMailboxTable {
  id: Generated<number>;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  raw: string;
  created_at_ms: number;
}

/** `sessions` and `operator_sessions` (migrations 3, 5): same shape. */
export interface SessionsTable {
  id_hash: string;
  account_id: number;
  csrf_token: string;
  created_at_ms: number;
  expires_at_ms: number;
}

/** `registration_handoffs` (migrations 3, 7, 9). */
export interface RegistrationHandoffsTable {
  account_id: number;
  continue_url: string | null;
  error_url: string | null;
  code_challenge: string | null;
  created_at_ms: number;
  ping_nonce_hash: string | null;
  user_code: string | null;
  started_at_ms: number | null;
  started_from: string | null;
}

/** `account_addresses` (migration 4). */
export interface AccountAddressesTable {
  id: Generated<number>;
  account_id: number;
  email: string;
  confirmed_at_ms: number;
}

/** `certificate_requests` (migrations 4, 5, rebuilt by 14). */
export interface CertificateRequestsTable {
  id: string;
  /** NULL only for a SCEP request sent to the CA's own `/scep` (no account: the operator decides it). */
  account_id: number | null;
  csr_pem: string;
  subject: string;
  names_json: string;
  profile_json: string;
  key_description: string;
  fingerprint_sha256: string;
  source: 'ccsr' | 'installation' | 'registration' | 'enrollment_secret' | 'scep';
  installation_token_id: number | null;
  status: 'pending' | 'approved' | 'issued' | 'discarded' | 'rejected';
  reason: string | null;
  certificate_serial: string | null;
  created_at_ms: number;
  decided_at_ms: number | null;
  approver: Generated<'owner' | 'operator'>;
}

/** `operators` (migration 5). */
export interface OperatorsTable {
  id: Generated<number>;
  email: string;
  password_hash: string;
  created_at_ms: number;
}

/** `enrollment_secrets` (migration 5). */
export interface EnrollmentSecretsTable {
  id: Generated<number>;
  secret_hash: string;
  account_id: number;
  created_at_ms: number;
  expires_at_ms: number;
  used_at_ms: number | null;
}

/** `address_pings` (migration 7). */
export interface AddressPingsTable {
  id: Generated<number>;
  token_hash: string;
  account_id: number;
  email: string;
  nonce_hash: string | null;
  created_at_ms: number;
  expires_at_ms: number;
  used_at_ms: number | null;
}

/** `ping_nonces` (migration 8). */
export interface PingNoncesTable {
  digest: string;
  created_at_ms: number;
}

/** `rate_limits` (migration 10): one token bucket per limiter and client. */
export interface RateLimitsTable {
  bucket: string;
  tokens: number;
  updated_at_ms: number;
}

/** `account_domains` (migration 11): the domains an account holds. */
export interface AccountDomainsTable {
  id: Generated<number>;
  account_id: number;
  domain: string;
  added_at_ms: number;
  verified_at_ms: number | null;
  verified_by: 'email' | 'dns' | 'http' | null;
  verified_address: string | null;
}

/** `domain_challenges` (migration 11): email pings, DNS TXT and HTTP file challenges of a domain. */
export interface DomainChallengesTable {
  id: Generated<number>;
  domain_id: number;
  account_id: number;
  method: 'email' | 'dns' | 'http';
  token_hash: string | null;
  nonce_hash: string | null;
  address: string | null;
  token: string | null;
  expected: string | null;
  created_at_ms: number;
  expires_at_ms: number;
  used_at_ms: number | null;
}

/** `renewal_windows` (migration 12): an operator's renewal window for one certificate. */
export interface RenewalWindowsTable {
  serial_hex: string;
  start_ms: number;
  end_ms: number;
  set_at_ms: number;
}

/** `expiry_notices` (migration 12): an expiry notice claimed (and, once sent, sent) for a certificate and threshold. */
export interface ExpiryNoticesTable {
  serial_hex: string;
  threshold_days: number;
  claimed_at_ms: number;
  sent_at_ms: number | null;
}

/** `revocation_secrets` (migration 13): the digest of a certificate's one-time revocation secret. */
export interface RevocationSecretsTable {
  /** `request:<id>` (an account's request) or `serial:<hex>` (an ssl_api client's certificate). */
  holder: string;
  digest: string;
  created_at_ms: number;
  used_at_ms: number | null;
}

/**
 * `scep_transactions` (migrations 14, 16): which request a SCEP transactionID of a signer stands
 * for. `signer_certificate_sha256` is the SHA-256 of the signer certificate when it is one of
 * this CA's (a renewal), `''` for a self-signed signer (a first enrolment).
 */
export interface ScepTransactionsTable {
  transaction_id: string;
  signer_key_sha256: string;
  signer_certificate_sha256: Generated<string>;
  request_id: string;
  created_at_ms: number;
}

/** `scep_pins` (migration 15): one-time SCEP PINs (the CSR's challengePassword), by SHA-256. */
export interface ScepPinsTable {
  id: Generated<number>;
  /** SHA-256 hex of the PIN; the PIN itself is never stored. */
  digest: string;
  /** The owner's account; null for an operator's or the CLI's PIN. */
  account_id: number | null;
  /** JSON array of lower-case DNS names the PIN is bound to. */
  dns_names_json: string;
  /** RFC 4514 subject the PIN is bound to, or null. */
  subject: string | null;
  created_by: string;
  created_at_ms: number;
  expires_at_ms: number;
  used_at_ms: number | null;
  /** What used the PIN (a request id). */
  used_by: string | null;
}

/** `scep_handles` (migration 15): the random part of an account's personal SCEP URL. */
export interface ScepHandlesTable {
  account_id: number;
  handle: string;
  created_at_ms: number;
}

/** Every table of the CA's database, for `Kysely<CaSchema>`. */
export interface CaSchema {
  certificates: CertificatesTable;
  crl_state: CrlStateTable;
  serial_reservations: SerialReservationsTable;
  accounts: AccountsTable;
  email_confirmations: EmailConfirmationsTable;
  tickets: TicketsTable;
  authorization_codes: AuthorizationCodesTable;
  installation_tokens: InstallationTokensTable;
  dev_mailbox: DevMailboxTable;
  sessions: SessionsTable;
  operator_sessions: SessionsTable;
  registration_handoffs: RegistrationHandoffsTable;
  account_addresses: AccountAddressesTable;
  certificate_requests: CertificateRequestsTable;
  operators: OperatorsTable;
  enrollment_secrets: EnrollmentSecretsTable;
  address_pings: AddressPingsTable;
  ping_nonces: PingNoncesTable;
  rate_limits: RateLimitsTable;
  account_domains: AccountDomainsTable;
  domain_challenges: DomainChallengesTable;
  renewal_windows: RenewalWindowsTable;
  expiry_notices: ExpiryNoticesTable;
  revocation_secrets: RevocationSecretsTable;
  scep_transactions: ScepTransactionsTable;
  scep_pins: ScepPinsTable;
  scep_handles: ScepHandlesTable;
}
