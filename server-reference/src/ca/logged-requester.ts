/**
 * How a requester appears in the CA's log. An account (`account:<id>`) is named as it is; an
 * ssl_api client hash is a credential (whoever knows it has its certificates signed and revoked,
 * docs/protocol.md), so the log names it by a digest: enough to tell clients apart and to find
 * one whose hash you hold, never the hash itself. Pure.
 */
import { createHash } from 'node:crypto';

/**
 * The requester as logged.
 * @example
 * loggedRequester('account:7'); // 'account:7'
 * loggedRequester('myclient'); // 'client-sha256:<first 16 hex digits of SHA-256("myclient")>'
 */
export function loggedRequester(requester: string): string {
  if (/^account:\d+$/.test(requester)) return requester;
  return `client-sha256:${createHash('sha256').update(requester, 'utf8').digest('hex').slice(0, 16)}`;
}
