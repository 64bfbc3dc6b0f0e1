/**
 * The CAcert method's slot in the state file: public data only (the token and a registration
 * under way live in the credential store).
 */
import { StateFileError } from '../../flow/errors.js';

/** Version of {@link CacertState}'s format in the state file's slot. */
export const CACERT_STATE_VERSION = 1;

/** What the CAcert method remembers between its steps. */
export interface CacertState {
  /**
   * Whether the request went with the registration: the CA then decides what it certifies (issued
   * when the person confirms the address, or pending for the owner), and there is nothing to verify.
   */
  readonly csrSentWithRegistration: boolean;
}

/**
 * Reads the slot back: version 1, or 0 (a state file of format 1, which kept
 * `csrSentWithRegistration` among its own fields, absent when the token was there already).
 * @throws {StateFileError} `ERR_SDK_STATE_FILE` for anything else.
 * @example
 * const state = parseCacertState({ csrSentWithRegistration: false }, 1);
 */
export function parseCacertState(state: unknown, version: number): CacertState {
  const bad = (why: string) => new StateFileError(`the cacert method's state is not valid: ${why}`);
  if (state === null || typeof state !== 'object' || Array.isArray(state)) throw bad('not an object');
  const sent: unknown = Reflect.get(state, 'csrSentWithRegistration');
  if (version === 0 && sent === undefined) return { csrSentWithRegistration: false };
  if (version !== 0 && version !== CACERT_STATE_VERSION) throw bad(`version ${version} is unknown`);
  if (typeof sent !== 'boolean') throw bad('csrSentWithRegistration is not a boolean');
  if (Object.keys(state).some((key) => key !== 'csrSentWithRegistration')) throw bad('unknown fields');
  return { csrSentWithRegistration: sent };
}
