/**
 * Progress events of `register()`, for a wizard to render or a log to record.
 */
import type { TicketStatus } from '@certwizard/protocol';
import type { RegistrationChannel } from '../errors.js';

/**
 * Something that happened during `register()`.
 *
 * Events never carry a secret: no PKCE verifier, one-time code, installation token, ticket, and
 * no registration URL either. The URL is not a secret by the CA's standards, but it holds the
 * ticket (whoever has it can read the registered address from `isitdone`) and the agent's
 * secret callback path; it goes only to the opener and to `display`.
 */
export type RegistrationEvent =
  /**
   * The CA handed out a ticket. `userCode` (from a current CA) is what the person compares with
   * the CA's registration and confirmation pages (RFC 8628 §5.4): show it next to the
   * registration link. Not a secret.
   */
  | { readonly type: 'ticket-issued'; readonly userCode?: string }
  /** The flow continues a registration an earlier run started (`resume`), with its user code when known. */
  | { readonly type: 'resumed'; readonly userCode?: string }
  /** The opener resolved: the registration page should be showing in a browser. */
  | { readonly type: 'browser-opened' }
  /**
   * The opener rejected; the flow goes on with the URL displayed. `errorCode` is the error's
   * `code` when it has a string one (e.g. `ENOENT`); its message is not carried, as it may quote the URL.
   */
  | { readonly type: 'browser-failed'; readonly errorCode?: string }
  /** The URL and its QR code went to `display`. */
  | { readonly type: 'url-displayed'; readonly reason: 'no-browser' | 'browser-failed' | 'resumed' }
  /** The flow waits for the outcome on these channels. */
  | { readonly type: 'waiting'; readonly via: readonly RegistrationChannel[] }
  /** The agent received a callback (`continue` or `error`). */
  | { readonly type: 'callback-received'; readonly kind: 'continue' | 'error' }
  /**
   * The CA did not answer (a network failure, 502, 504); the flow tries again. `attempt` counts
   * the failures of this request from 1; the flow gives up with `ERR_SDK_CA_UNREACHABLE` after
   * its `retries`.
   */
  | { readonly type: 'ca-retrying'; readonly attempt: number }
  /** An `isitdone` answer arrived with this status. */
  | { readonly type: 'ticket-state'; readonly status: TicketStatus }
  /** The one-time code is being redeemed at the CA's token endpoint. */
  | { readonly type: 'redeeming'; readonly via: RegistrationChannel }
  /** Done: the CA confirmed the account. */
  | { readonly type: 'registered'; readonly via: RegistrationChannel; readonly emailAddress: string };
