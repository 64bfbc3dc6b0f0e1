/**
 * The built-in method an enrollment was made with, known from its state's method slot: what
 * `renew()` uses when it is given none (an installer renewing from a timer has only the state).
 */
import type { CredentialStore } from '../credentials/credential-store.js';
import type { EnrollmentMethod } from '../enroll/enrollment-method.js';
import { cacertMethod } from '../methods/cacert/cacert-method.js';
import { sslApiClientKey } from '../methods/ssl-api/credential-keys.js';
import { sslApiMethod } from '../methods/ssl-api/ssl-api-method.js';
import { scepMethod } from '../methods/scep/scep-method.js';
import { parseScepState } from '../methods/scep/scep-state.js';
import { StateMismatchError } from './errors.js';

/** A method slot's state as the state file holds it: untrusted, read by the method's own parser. */
export interface RecordedSlot {
  readonly version: number;
  readonly state: unknown;
}

/** What {@link methodForSlot} needs besides the slot's name. */
export interface SlotMethodOptions {
  /** The enrollment's name, for messages. */
  readonly name: string;
  /** The CA's base URL. */
  readonly caUrl: string;
  /** The CA's origin as the state records it (the key of its secrets in the credential store). */
  readonly caOrigin: string;
  readonly credentials: CredentialStore;
  /** The ssl_api client hash; default: the one kept in `credentials` under `sslApiClientKey(caOrigin)`. */
  readonly sslApiClient?: string;
  /** The caller's method: used when given, and it must be the slot's. */
  readonly method?: EnrollmentMethod;
  /** The slot's recorded state and its format version (a `scep` slot's SCEP URL is read from it). */
  readonly slotState?: RecordedSlot;
  readonly fetch?: typeof fetch;
  readonly signal?: AbortSignal;
}

/**
 * The caller's method (it must bear the slot's name), else the built-in one the slot names:
 * `cacert` (its installation token in the credential store), `ssl-api` (its client hash) or
 * `scep` (its CA and RA certificates pinned in its slot; the SCEP URL is `caUrl` when it has a
 * path, else the one the slot recorded, e.g. a personal `/scep/u/<handle>`, else
 * `<CA origin>/scep`, the reference CA's).
 * @throws {StateFileError} `ERR_SDK_STATE_FILE` for a `scep` slot whose recorded URL is not one of the CA's.
 * @throws {StateMismatchError} `ERR_SDK_STATE_MISMATCH` for a method of another name than the slot's.
 * @throws {TypeError} for a slot of a method the SDK does not have, or an ssl-api one without its client hash.
 */
export async function methodForSlot(slot: string, options: SlotMethodOptions): Promise<EnrollmentMethod> {
  const { method, name, caUrl } = options;
  if (method !== undefined) {
    if (slot !== '' && method.name !== slot)
      throw new StateMismatchError(`the enrollment "${name}" was made with the method "${slot}", not "${method.name}"; pass that method`);
    return method;
  }
  const transport = options.fetch === undefined ? {} : { fetch: options.fetch };
  switch (slot) {
    case 'cacert':
    case '':
      // '' is a state file of format 1, which only the CAcert method wrote.
      return cacertMethod({ caUrl, ...transport });
    case 'ssl-api': {
      const key = sslApiClientKey(options.caOrigin);
      const client = options.sslApiClient ?? (await options.credentials.get(key, options.signal ? { signal: options.signal } : {}));
      if (client === undefined)
        throw new TypeError(`the enrollment "${name}" was made with the ssl-api method: pass sslApiClient (or keep it in the credential store under ${key})`);
      return sslApiMethod({ caUrl, client, ...transport });
    }
    case 'scep': {
      const url = new URL(caUrl);
      // The enrollment's own URL: a personal /scep/u/<handle> renews there, where its owner is.
      const slotState = options.slotState;
      const recorded = slotState === undefined ? undefined : parseScepState(slotState.state, slotState.version, options.caOrigin).url;
      const scepUrl = url.pathname !== '/' ? url.href : (recorded ?? `${url.origin}/scep`);
      // A renewal or a resumed poll never runs the account step: the slot's pinned certificates
      // are used, and a CA asking to be trusted anew is refused (onCaFingerprints says no).
      return scepMethod({ url: scepUrl, onCaFingerprints: () => false, ...transport });
    }
    default:
      throw new TypeError(`the enrollment "${name}" was made with the method "${slot}": pass it as method`);
  }
}

/** What the caller of {@link methodOfEnrollment} gave (`renew()`'s and `revoke()`'s options), each part optional. */
export interface EnrollmentMethodChoice {
  readonly name: string;
  readonly credentials: CredentialStore;
  readonly caUrl?: string | undefined;
  readonly sslApiClient?: string | undefined;
  readonly method?: EnrollmentMethod | undefined;
  readonly fetch?: typeof fetch | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * {@link methodForSlot} for a recorded enrollment: its slot `slot`, its CA `caOrigin` (the CA's
 * URL unless the caller gave one), what the caller gave, and the slot's recorded state when the
 * enrollment got that far.
 */
export function methodOfEnrollment(slot: string, caOrigin: string, choice: EnrollmentMethodChoice, slotState?: RecordedSlot): Promise<EnrollmentMethod> {
  return methodForSlot(slot, {
    name: choice.name,
    caUrl: choice.caUrl ?? caOrigin,
    caOrigin,
    credentials: choice.credentials,
    ...(choice.sslApiClient === undefined ? {} : { sslApiClient: choice.sslApiClient }),
    ...(choice.method === undefined ? {} : { method: choice.method }),
    ...(choice.fetch === undefined ? {} : { fetch: choice.fetch }),
    ...(choice.signal === undefined ? {} : { signal: choice.signal }),
    ...(slotState === undefined ? {} : { slotState }),
  });
}
