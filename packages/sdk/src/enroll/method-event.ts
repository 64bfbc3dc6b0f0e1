/**
 * Progress events a method reports while `enroll()` drives it (its account step, its address
 * verification). They reach the vendor's `onEvent` unchanged, next to the flow's own events, and
 * never carry a secret: no token, nonce, code, ticket or URL.
 */
import type { DomainMethod } from '@certwizard/protocol';
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
 * Progress of verifying one domain for the account (the CAcert method's `verify` for DNS names;
 * docs/protocol.md, "Domains of an account"). `domain` is the ASCII form (A-labels) everywhere.
 * Never a secret: the ping's nonce and token stay out; the TXT value and the file's URL are
 * public by design (anyone can read them once published).
 */
export type DomainVerificationEvent =
  /**
   * The CA was asked to verify the domain by `method`: for `email`, the ping went to `address`
   * (`automatic` when the mail hook's nonce went with it: the mail server answers by itself;
   * otherwise a person opens the mail and clicks); for `dns`, `record` is to be published (the
   * vendor's `publish` is called next); for `http`, a file is to be served at `url`.
   */
  | {
      readonly type: 'verifying';
      readonly domain: string;
      /** The domain's Unicode form, for display. */
      readonly unicode: string;
      readonly method: DomainMethod;
      readonly address?: string;
      readonly automatic?: boolean;
      readonly record?: { readonly name: string; readonly value: string };
      readonly url?: string;
    }
  /** Waiting this long before asking the CA again (the ping's answer, or the next dns/http check). */
  | { readonly type: 'waiting'; readonly domain: string; readonly delayMs: number }
  /**
   * The CA lists the domain as verified; `alreadyVerified` when it was before this run asked
   * (nothing was sent), `lapsesAt` (ISO 8601) when the CA said until when.
   */
  | { readonly type: 'verified'; readonly domain: string; readonly method: DomainMethod; readonly alreadyVerified: boolean; readonly lapsesAt?: string };

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
  /** Progress of verifying a domain of the DNS names to certify (the `verify-email` step). */
  | { readonly type: 'domain'; readonly event: DomainVerificationEvent }
  /**
   * The CA did not answer a request of the method (a network failure, 502, 504); it is tried
   * again. `attempt` counts from 1.
   */
  | { readonly type: 'ca-retrying'; readonly attempt: number }
  /**
   * The SCEP method's account step: the CA's and RA's SHA-256 fingerprints (lower-case hex) and
   * the CA's subject, before they are checked against the pinned one or confirmed by a person.
   */
  | { readonly type: 'scep-ca-fingerprints'; readonly caSha256: string; readonly raSha256: string; readonly caSubject: string };
