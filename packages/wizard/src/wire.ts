/**
 * The wire contract between the wizard server and the browser app (wizard-ui): the JSON of every
 * API answer and of every server-sent event. Types only; the browser app imports them with
 * `import type`, so nothing of the server reaches the bundle. Field names are API: added, never
 * renamed (docs/wizard.md, "The HTTP API").
 */
import type { KeyType } from '@certwizard/pki';
import type { EnrollFlowEvent, EnrollStep, InstalledCertificate } from '@certwizard/sdk';

/** The SDK's types the wire carries, re-exported so that the browser app needs this package only. */
export type { EnrollFlowEvent, EnrollStep, InstalledCertificate, KeyType };

/** What the person types (or accepts) on the "your details" step. */
export interface WizardDetails {
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
}

/** `GET /api/config`: what the browser app needs before the first event. */
export interface WizardConfig {
  readonly vendor: {
    readonly name: string;
    /** `/api/logo` when the vendor gave a logo. */
    readonly logoUrl?: string;
  };
  /** The vendor's defaults for the details step (empty strings where it had none). */
  readonly defaults: WizardDetails;
  /** The key types offered, the default first. */
  readonly keyTypes: readonly KeyType[];
  readonly defaultKeyType: KeyType;
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
  | { readonly type: 'closing' };

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
