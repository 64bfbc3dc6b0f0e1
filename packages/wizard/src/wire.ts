/**
 * The wire contract between the wizard server and the browser app (wizard-ui): the JSON of every
 * API answer and of every server-sent event. Types only; the browser app imports them with
 * `import type`, so nothing of the server reaches the bundle. Field names are API: added, never
 * renamed (docs/wizard.md, "The HTTP API").
 */
import type { KeyType } from '@certwizard/pki';
import type { DomainVerificationEvent, EnrollFlowEvent, EnrollStep, InstalledCertificate } from '@certwizard/sdk';

/** The SDK's types the wire carries, re-exported so that the browser app needs this package only. */
export type { DomainVerificationEvent, EnrollFlowEvent, EnrollStep, InstalledCertificate, KeyType };

/** What the person types (or accepts) on the "your details" step. */
export interface WizardDetails {
  readonly firstName: string;
  readonly lastName: string;
  /** The account's address at the CA (and the certified one, when the certificate is for an address). */
  readonly email: string;
  /**
   * The server's host names, when the certificate is a server certificate ({@link WizardCertificatePlan.server}):
   * as typed on the page; after `POST /api/details`, in ASCII form (A-labels, lower case).
   */
  readonly hostNames?: readonly string[];
}

/** One host name as the CA will read it, or why the CA would refuse it (`POST /api/host-names`). */
export type CheckedHostName =
  | {
      readonly input: string;
      readonly ok: true;
      /** ASCII form (A-labels, lower case, no trailing dot): what the certificate carries. */
      readonly name: string;
      /** Unicode form, for display. */
      readonly unicode: string;
      /** The domain the CA verifies for the name (its registrable domain), ASCII form. */
      readonly domain: string;
      readonly domainUnicode: string;
    }
  | {
      readonly input: string;
      readonly ok: false;
      /** `@certwizard/protocol`'s refusal reason (`public_suffix`, `ip_address`, ...), or `outside_domains` (not within the vendor's `domains`). */
      readonly reason: string;
      /** What to change, for the person. */
      readonly message: string;
    };

/** How the CA is expected to verify each domain of the host names (the vendor's `domainVerification`). */
export interface DomainVerificationPlan {
  readonly method: 'email' | 'dns' | 'http';
  /** For `email`: the administrative address's local part (`postmaster` by default). */
  readonly localPart?: string;
  /** For `email`: the vendor's mail server answers the ping by itself (`emailPing` given); for dns/http: the vendor publishes the record or file. */
  readonly automatic: boolean;
}

/** What the certificate is for, as the pages say it. */
export interface WizardCertificatePlan {
  /**
   * A TLS server certificate for host names (the vendor gave `enroll.names.dns`): the person may
   * edit the names on the details step; each name's domain is verified at the CA.
   */
  readonly server?: {
    readonly domainVerification: DomainVerificationPlan;
    /** The vendor's `enroll.domains`: the names must lie within them. Default: each name's registrable domain. */
    readonly domains?: readonly string[];
  };
  /** The person's address is certified (an S/MIME and client-authentication certificate, alone or with the server names). */
  readonly address: boolean;
}

/** A command the vendor shows once the certificate is installed, proving it works (e.g. an `openssl s_client` line). */
export interface WizardProof {
  /** What the command shows, one or two sentences of plain text. */
  readonly text: string;
  /** The command, shown as code for copying; never run by the wizard. */
  readonly command: string;
}

/** `POST /api/host-names` body: the names as typed, to check before saving. */
export interface HostNamesCheckRequest {
  readonly hostNames: readonly string[];
}

/** `POST /api/host-names` answer: each name checked, in order (blank lines left out). */
export interface HostNamesCheckAnswer {
  readonly checked: readonly CheckedHostName[];
}

/** `GET /api/config`: what the browser app needs before the first event. */
export interface WizardConfig {
  readonly vendor: {
    readonly name: string;
    /** `/api/logo` when the vendor gave a logo. */
    readonly logoUrl?: string;
  };
  /** The vendor's defaults for the details step (empty strings where it had none; `hostNames` for a server certificate). */
  readonly defaults: WizardDetails;
  /** What the certificate is for: a server's host names, the person's address, or both. */
  readonly certificate: WizardCertificatePlan;
  /** The vendor's proof, shown once the certificate is installed. */
  readonly proof?: WizardProof;
  /** The key types offered, the default first. */
  readonly keyTypes: readonly KeyType[];
  readonly defaultKeyType: KeyType;
  /**
   * Present when the CA is reached over SCEP (RFC 8894): the key step says why the key is RSA and
   * shows the CA certificate's SHA-256 fingerprint the vendor pinned (lower-case hex), for the
   * person to compare with the one the CA's operator published.
   */
  readonly scep?: { readonly caFingerprintSha256?: string };
  /** The CA's origin, e.g. `https://ca.example`, to name it on the pages. */
  readonly caOrigin: string;
  /** Where the account owner approves pending requests (the vendor's setting, else the CA's base URL). */
  readonly caAccountUrl: string;
  /** Present when the installed step offers a PKCS #12 download: its rules. */
  readonly pkcs12Download?: { readonly minPassphraseLength: number };
  /**
   * How the CA's confirmation mail is expected to be answered: `automatic` when the vendor gave
   * `enroll()` its mail hook (`emailPing`), `person` when the person clicks the link in the mail.
   * During a run the flow itself reports it (`address-confirmation` and `address` events).
   */
  readonly addressConfirmation: 'automatic' | 'person';
  /** An earlier, unfinished run of the same enrollment that the next run continues. */
  readonly earlierRun?: { readonly step: EnrollStep };
  /**
   * The certificate was installed by an earlier run: the wizard opens on it (the server reads it
   * back at start, no question asked) instead of walking through details and key again.
   */
  readonly installedEarlier?: true;
}

/** A failure as the person reads it: what happened, what to do next, and the stable code. */
export interface ShownFailure {
  /** The error's stable code (`ERR_SDK_CA_UNREACHABLE`, ...), when it has one. */
  readonly code?: string;
  readonly message: string;
  /** What to do next; always ends with the way to go on (Retry, or what to change first). */
  readonly hint: string;
}

/** The installed certificate, as the installed step shows it: the SDK's description, with `notAfter` as ISO 8601. */
export type ShownInstalled = Omit<InstalledCertificate, 'notAfter'> & { readonly notAfter: string };

/**
 * One server-sent event. `flow` carries the SDK's own progress event unchanged (it never holds a
 * secret); the others are the wizard's. `run` numbers the calls of `enroll()` (a Retry is a new
 * run that resumes where the last one stopped).
 */
export type WizardEvent =
  /** The person's details were accepted. */
  | { readonly type: 'details-saved'; readonly details: WizardDetails }
  /** `enroll()` was called (first time, or a Retry). */
  | { readonly type: 'run-started'; readonly run: number; readonly keyType: KeyType }
  /** A progress event of `enroll()`. */
  | { readonly type: 'flow'; readonly run: number; readonly event: EnrollFlowEvent }
  /**
   * The CA's registration page, as the SDK's opener (or its display, for a resumed registration)
   * received it: the page becomes the "open the registration page" button. The only value sent
   * to the browser that holds a secret of the flow (the ticket and the agent's callback path).
   */
  | { readonly type: 'registration-page'; readonly run: number; readonly url: string }
  /** `enroll()` failed; a Retry runs it again and it resumes. */
  | { readonly type: 'run-failed'; readonly run: number; readonly failure: ShownFailure }
  /** `enroll()` resolved: the certificate is live. */
  | {
      readonly type: 'installed';
      readonly run: number;
      readonly installed: ShownInstalled;
      readonly accountEmail?: string;
      readonly resumed: boolean;
    }
  /** The person pressed Finish. */
  | { readonly type: 'finished' }
  /** The installer is closing the wizard. */
  | { readonly type: 'closing' }
  /** Renewal wizard: `renew()` was called (first time, or a Retry). */
  | { readonly type: 'renewal-started'; readonly run: number }
  /** Renewal wizard: a progress event of `renew()`. */
  | { readonly type: 'renewal'; readonly run: number; readonly event: ShownRenewEvent }
  /** Renewal wizard: `renew()` asks whether the certificate that still carries dropped names is revoked. */
  | { readonly type: 'names-dropped-question'; readonly run: number; readonly question: ShownNamesDroppedQuestion }
  /** Renewal wizard: the question was answered, by the person, by the timeout, or because the wizard closed. */
  | {
      readonly type: 'names-dropped-answered';
      readonly run: number;
      readonly questionId: string;
      readonly answer: NamesDroppedAnswer;
      readonly by: 'person' | 'timeout' | 'closed';
    }
  /** Renewal wizard: `renew()` resolved (renewed, not due, failed, ...). */
  | { readonly type: 'renewal-outcome'; readonly run: number; readonly outcome: ShownRenewOutcome };

/** The installer's answer to the names-dropped question (the SDK's `NamesDroppedAnswer`). */
export type NamesDroppedAnswer = 'keep' | 'revoke';

/**
 * The names-dropped question as the page shows it: the SDK's `NamesDroppedQuestion` with the
 * certificate reduced to what the person needs (never a key).
 */
export interface ShownNamesDroppedQuestion {
  /** Names this question; `POST /api/names-dropped` answers it by this id. */
  readonly id: string;
  /** The enrollment's name (`live/<name>/`). */
  readonly name: string;
  /** The names the CA no longer certifies for the account: the renewed certificate leaves them out. */
  readonly droppedNames: readonly string[];
  /** The live certificate that still carries them: serial (lower-case hex), expiry (ISO 8601), names. */
  readonly serialHex: string;
  readonly notAfter: string;
  readonly certificateNames: readonly string[];
  /** When the question answers itself `keep` (ISO 8601). */
  readonly keepAt: string;
}

/** `renew()`'s progress events, JSON-shaped for the page (dates as ISO 8601). */
export type ShownRenewEvent =
  | { readonly type: 'renewal-due'; readonly dueAt: string; readonly forced: boolean; readonly resumed: boolean }
  | { readonly type: 'flow'; readonly event: EnrollFlowEvent }
  | { readonly type: 'names-dropped'; readonly droppedNames: readonly string[]; readonly answer: NamesDroppedAnswer }
  | { readonly type: 'dropped-revoked'; readonly serialHex: string; readonly already: boolean }
  | { readonly type: 'renewed'; readonly installed: ShownInstalled; readonly previousSerialHex: string }
  | { readonly type: 'renewal-failed'; readonly code: string; readonly message: string; readonly nextAttemptAt: string };

/** What `renew()` resolved with, JSON-shaped for the page. */
export type ShownRenewOutcome =
  | { readonly status: 'not-due'; readonly dueAt: string }
  | {
      readonly status: 'renewed';
      readonly installed: ShownInstalled;
      readonly previousSerialHex: string;
      readonly droppedNames?: readonly string[];
      readonly revokedSerialHex?: string;
    }
  | { readonly status: 'backing-off'; readonly nextAttemptAt: string }
  | { readonly status: 'pending'; readonly requestId?: string }
  | { readonly status: 'failed'; readonly failure: ShownFailure }
  | { readonly status: 'skipped'; readonly reason: string; readonly message: string };

/** `GET /api/config` of a renewal wizard (`startRenewalWizard()`): the page shows the renewal view. */
export interface RenewalWizardConfig {
  readonly action: 'renew';
  readonly vendor: WizardConfig['vendor'];
  /** The enrollment renewed (`live/<name>/`). */
  readonly name: string;
  readonly caOrigin: string;
  /** How long the names-dropped question waits before it answers `keep`, in ms. */
  readonly namesDroppedTimeoutMs: number;
}

/** `POST /api/names-dropped` body: the answer to the open question. */
export interface NamesDroppedAnswerRequest {
  readonly questionId: string;
  readonly answer: NamesDroppedAnswer;
}

/** The `data:` of one server-sent event; `id` is also its SSE `id:` line. */
export interface WizardEventRecord {
  /** 1, 2, 3... in the order the server recorded them; a replay sends the same ids again. */
  readonly id: number;
  /** When it was recorded, ISO 8601. */
  readonly at: string;
  readonly event: WizardEvent;
}

/** `POST /api/details` body. */
export type DetailsRequest = WizardDetails;

/** `POST /api/enroll` body: the key type chosen on the key step. */
export interface EnrollRequest {
  readonly keyType: KeyType;
}

/** `POST /api/pkcs12` body. */
export interface Pkcs12Request {
  readonly passphrase: string;
}

/** Shortest PKCS #12 passphrase accepted, in characters. */
export const PKCS12_PASSPHRASE_MIN_LENGTH = 8;

/** Error codes of the API's JSON answers, with their HTTP status. Codes are API: added, never renamed. */
export const API_ERRORS = {
  /** The body is not the JSON the endpoint expects. */
  invalid_request: 400,
  /** No valid session cookie. */
  no_session: 401,
  /** `Origin` or `Sec-Fetch-Site` says the request does not come from the wizard's own page. */
  cross_origin: 403,
  /** Not an endpoint of the wizard. */
  not_found: 404,
  /** Another method on a known path. */
  method_not_allowed: 405,
  /** An enrollment is already running. */
  busy: 409,
  /** The certificate is installed; nothing more to run. */
  already_installed: 409,
  /** The step needs an earlier one first (details before enrolling, a certificate before PKCS #12). */
  out_of_order: 409,
  /** The vendor did not allow this (the PKCS #12 download). */
  not_allowed: 403,
  /** Content-Type is not `application/json`. */
  unsupported_media_type: 415,
  /** The details or the passphrase are not acceptable; `fields` says why, by field. */
  invalid_input: 422,
  /** Something failed on the installer's side; its log says what. */
  internal_error: 500,
} as const;

/** One of {@link API_ERRORS}. */
export type ApiErrorCode = keyof typeof API_ERRORS;

/** The JSON body of every API error. */
export interface ApiErrorBody {
  readonly error: {
    readonly code: ApiErrorCode;
    readonly message: string;
    /** For `invalid_input`: a message per field name. */
    readonly fields?: Readonly<Record<string, string>>;
  };
}
