/**
 * Progress events of `submit()`, for a wizard to render or a log to record. They never carry a
 * secret: no credentials, no key, no certificate request body.
 */

/** Something that happened during `submit()`. */
export type EnrollmentEvent =
  /** The request is being sent with this method. */
  | { readonly type: 'submitting'; readonly method: string }
  /** The CA stored the request and has not decided yet. */
  | { readonly type: 'pending'; readonly requestId: string }
  /** The next poll comes after this wait, in ms (the backoff, or the CA's longer `Retry-After`). */
  | { readonly type: 'waiting'; readonly delayMs: number }
  /** The request is being polled. */
  | { readonly type: 'polling'; readonly requestId: string }
  /** Done: the CA issued the certificate. */
  | { readonly type: 'issued' };
