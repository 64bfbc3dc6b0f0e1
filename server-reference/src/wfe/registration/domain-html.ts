/**
 * How the pages show a domain of an account (the owner's Domains section and the operator's
 * account page alike): its names and its state in words, escaped.
 */
import type { AccountDomain } from '../../accounts/domain-service.js';
import { escapeHtml, escapeShown, utcMinute } from './html.js';

const METHOD_NAMES = { email: 'email ping', dns: 'DNS TXT record', http: 'HTTP file' } as const;

/**
 * The Unicode form, and the ASCII form under it when they differ (an IDN), as safe HTML.
 * @example
 * domainNameHtml({ domain: 'xn--bcher-kva.example', unicode: 'bücher.example', ... }); // 'bücher.example<br><code>xn--bcher-kva.example</code>'
 */
export function domainNameHtml(d: Pick<AccountDomain, 'domain' | 'unicode'>): string {
  return d.unicode === d.domain ? escapeShown(d.domain) : `${escapeShown(d.unicode)}<br><code>${escapeHtml(d.domain)}</code>`;
}

/**
 * The state in words, as safe HTML: never verified; verified when, by which method, and when it
 * lapses; or lapsed (with the verification it had).
 * @example
 * domainStateHtml(d); // 'Verified 2030-01-01 00:00 UTC by DNS TXT record; lapses 2031-02-01 00:00 UTC'
 */
export function domainStateHtml(d: AccountDomain): string {
  const v = d.verification;
  if (d.state === 'unverified' || v === undefined) return 'Not verified';
  const how = v.method === 'email' && v.address !== undefined ? `email ping to ${escapeShown(v.address)}` : METHOD_NAMES[v.method];
  return d.state === 'verified'
    ? `Verified ${utcMinute(v.atMs)} by ${how}; lapses ${utcMinute(d.lapsesAtMs)}`
    : `Lapsed ${utcMinute(d.lapsesAtMs)} (verified ${utcMinute(v.atMs)} by ${how}): verify it again`;
}
