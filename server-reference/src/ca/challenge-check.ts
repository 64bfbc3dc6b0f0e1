/**
 * The contract of a domain challenge check (DNS TXT record, HTTP file): what the CA looks at to
 * decide that whoever asked controls a domain. Implementations: `DnsTxtCheck`
 * (dns-txt-check.ts), `HttpFileCheck` (http-file-check.ts).
 */

/** What a check is given: the domain and the values the CA handed out for it. */
export interface ChallengeToCheck {
  /** The domain, ASCII form. */
  readonly domain: string;
  /** The token (the HTTP file's name; unused by the DNS check). */
  readonly token: string;
  /** The value the record or file must hold exactly. */
  readonly expected: string;
}

/** A check's verdict: found, or not found with what the CA saw (safe to return to the requester). */
export type ChallengeCheckResult = { readonly ok: true } | { readonly ok: false; readonly problem: string };

/**
 * One way of checking a challenge.
 *
 * Contract: "not found" in any form (no record, a wrong value, a refused address, a redirect
 * elsewhere, a timeout) is a result, `{ ok: false, problem }`, never an exception; `problem` names
 * what was seen, never a secret. The check only reads: it changes nothing stored. It throws only
 * when `signal` aborts (the abort reason).
 */
export interface ChallengeCheck {
  /** Looks for the challenge now. */
  check(challenge: ChallengeToCheck, options?: { readonly signal?: AbortSignal }): Promise<ChallengeCheckResult>;
}
