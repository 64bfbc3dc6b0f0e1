/**
 * DKIM verification (RFC 6376) of a ping against the one key configured on the hook, with
 * mailauth. No DNS: mailauth's resolver is replaced by one that knows exactly one record,
 * `<selector>._domainkey.<domain>`, built from the configured public key.
 */
import type { KeyObject } from 'node:crypto';

/** The CA's DKIM key as the hook pins it; validated by the caller. */
export interface PinnedDkimKey {
  /** Signing domain (`d=`), lower case. */
  readonly domain: string;
  /** Selector (`s=`), lower case. */
  readonly selector: string;
  /** An RSA (at least 1024 bits) or Ed25519 public key. */
  readonly publicKey: KeyObject;
}

/** What {@link checkDkim} concluded. */
export type DkimOutcome =
  | { readonly ok: true; readonly signedHeaders: readonly string[] }
  | { readonly ok: false; readonly detail: 'no-valid-signature' | 'body-length-limit' | 'from-not-signed' };

/** Hash algorithms accepted: SHA-1 signatures are refused (RFC 8301). */
const ACCEPTED_ALGORITHMS = new Set(['rsa-sha256', 'ed25519-sha256']);

type DkimVerify = typeof import('mailauth/lib/dkim/verify.js').dkimVerify;
let loading: Promise<DkimVerify> | undefined;
/** mailauth is loaded on first use, so that a hook without DKIM never loads it. */
function loadVerifier(): Promise<DkimVerify> {
  return (loading ??= import('mailauth/lib/dkim/verify.js').then((m) => m.dkimVerify));
}

/** The DNS TXT record that would publish `key` (RFC 6376 §3.6.1, RFC 8463 for Ed25519). */
export function dkimKeyRecord(key: KeyObject): string {
  const spki = key.export({ type: 'spki', format: 'der' });
  if (key.asymmetricKeyType === 'ed25519') return `v=DKIM1; k=ed25519; p=${spki.subarray(spki.length - 32).toString('base64')}`;
  return `v=DKIM1; k=rsa; p=${spki.toString('base64')}`;
}

/**
 * Whether `bytes` carries a valid DKIM signature by `key`'s domain and selector, with SHA-256,
 * covering the whole body (no `l=` tag: a length limit would let anyone append text) and the
 * `From:` header. Never throws.
 * @param headerSection - the message's header block, searched for `l=` before mailauth runs.
 * @param nowMs - the clock, for the signature's `x=` expiry.
 */
export async function checkDkim(bytes: Buffer, headerSection: Buffer, key: PinnedDkimKey, nowMs: number): Promise<DkimOutcome> {
  if (hasBodyLengthTag(headerSection)) return { ok: false, detail: 'body-length-limit' };
  const recordName = `${key.selector}._domainkey.${key.domain}`;
  const record = dkimKeyRecord(key.publicKey);
  const resolver = async (name: string, type: string): Promise<string[][]> => {
    if (type === 'TXT' && name.toLowerCase() === recordName) return [[record]];
    throw Object.assign(new Error('no such record'), { code: 'ENOTFOUND' });
  };
  let results;
  try {
    const dkimVerify = await loadVerifier();
    ({ results } = await dkimVerify(bytes, { resolver, curTime: nowMs, minBitLength: 1024 }));
  } catch {
    return { ok: false, detail: 'no-valid-signature' };
  }
  for (const result of results) {
    const details = result as typeof result & { algo?: string; canonBodyLengthLimited?: boolean; signingHeaders?: { keys?: string } };
    if (result.status.result !== 'pass') continue;
    if (result.signingDomain?.toLowerCase() !== key.domain || result.selector?.toLowerCase() !== key.selector) continue;
    if (!ACCEPTED_ALGORITHMS.has(String(details.algo ?? '').toLowerCase())) continue;
    if (details.canonBodyLengthLimited !== false) continue;
    const signedHeaders = String(details.signingHeaders?.keys ?? '')
      .split(':')
      .map((k) => k.trim().toLowerCase())
      .filter((k) => k !== '');
    if (!signedHeaders.includes('from')) return { ok: false, detail: 'from-not-signed' };
    return { ok: true, signedHeaders };
  }
  return { ok: false, detail: 'no-valid-signature' };
}

/**
 * Whether any DKIM-Signature field has an `l=` tag. Checked on the raw header because mailauth
 * accepts such signatures (it reports them) and prints to stdout when the length is off.
 */
function hasBodyLengthTag(headerSection: Buffer): boolean {
  const unfolded = headerSection.toString('latin1').replace(/\r\n[ \t]+/g, ' ');
  for (const line of unfolded.split('\r\n')) {
    const match = /^dkim-signature[ \t]*:(.*)$/i.exec(line);
    if (match && /(?:^|;)[ \t]*l[ \t]*=/i.test(match[1] ?? '')) return true;
  }
  return false;
}
