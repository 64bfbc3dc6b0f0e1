/**
 * Progress events a method reports while `enroll()` drives it (its account step, its address
 * verification). They reach the vendor's `onEvent` unchanged, next to the flow's own events, and
 * never carry a secret: no token, nonce, code, ticket or URL.
 */
import type { RegistrationEvent } from '../registration/registration-event.js';

/** Progress of confirming one address for an account (`verifyAddress()`, the CAcert method's `verify`). */
export type AddressVerificationEvent =
  /** The CA mailed a ping; `automatic` when a mail-hook nonce went with it. */
  | { readonly type: 'ping-sent'; readonly address: string; readonly automatic: boolean }
  /** Waiting this long before asking the CA again. */
  | { readonly type: 'waiting'; readonly address: string; readonly delayMs: number }
  /** The CA lists the address as confirmed for the account. */
  | { readonly type: 'confirmed'; readonly address: string; readonly alreadyConfirmed: boolean };

/**
 * Something a method's account or verify step reports. A new protocol adds its variants here (an
 * ACME challenge, SCEP's CA certificates), so that front ends learn of them from the compiler.
 */
export type MethodEvent =
  /** Progress of the browser registration (the CAcert method's account step). */
  | { readonly type: 'registration'; readonly event: RegistrationEvent }
  /**
   * How the registration's address will be confirmed: `automatic` when the vendor's mail hook got
   * a nonce for it (it answers the CA's mail by itself), otherwise the person opens the mail and
   * clicks its link.
   */
  | { readonly type: 'address-confirmation'; readonly address: string; readonly automatic: boolean }
  /** Progress of confirming an address to certify (the `verify-email` step). */
  | { readonly type: 'address'; readonly event: AddressVerificationEvent }
  /**
   * The CA did not answer a request of the method (a network failure, 502, 504); it is tried
   * again. `attempt` counts from 1.
   */
  | { readonly type: 'ca-retrying'; readonly attempt: number };
