import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decidePing, type FoundPing } from './email-ping.js';

const NONCE = 'n0nce-Of_The-Mail-Server-43-characters-long';
const OTHER = 'another-nonce-of-the-mail-server-43-charact';
const T = 1_000_000;
const digest = (nonce: string) => createHash('sha256').update(nonce).digest('hex');

const live: FoundPing = { kind: 'address', pingId: 1, accountId: 1, email: 'a@b.example', expiresAtMs: T + 1, nonceHash: digest(NONCE) };
const used: FoundPing = { ...live, usedAtMs: T - 1 };
const expired: FoundPing = { ...live, expiresAtMs: T };
const withoutNonce: FoundPing = { kind: 'registration', accountId: 1, email: 'a@b.example', expiresAtMs: T + 1 };

describe('decidePing', () => {
  it.each<{ name: string; found: FoundPing | undefined; nonce?: string; want: string }>([
    { name: 'a machine with the nonce confirms a live ping', found: live, nonce: NONCE, want: 'confirm' },
    { name: 'a person confirms a live ping', found: live, want: 'confirm' },
    { name: 'a person confirms a ping asked for without a nonce', found: withoutNonce, want: 'confirm' },
    { name: 'a machine repeating with the nonce gets a repeat', found: used, nonce: NONCE, want: 'repeat' },
    { name: 'a repeat stays a repeat after expiry', found: { ...used, expiresAtMs: T }, nonce: NONCE, want: 'repeat' },
    { name: 'a person on a used ping gets a repeat', found: used, want: 'repeat' },
    { name: 'nothing found is unknown', found: undefined, nonce: NONCE, want: 'ERR_PING_TOKEN_UNKNOWN' },
    { name: 'another nonce is a mismatch', found: live, nonce: OTHER, want: 'ERR_PING_NONCE_MISMATCH' },
    { name: 'another nonce on a used ping is a mismatch', found: used, nonce: OTHER, want: 'ERR_PING_NONCE_MISMATCH' },
    { name: 'any nonce on a ping without one is a mismatch', found: withoutNonce, nonce: NONCE, want: 'ERR_PING_NONCE_MISMATCH' },
    { name: 'the nonce is checked before the expiry', found: expired, nonce: OTHER, want: 'ERR_PING_NONCE_MISMATCH' },
    { name: 'expiry is inclusive, for a machine', found: expired, nonce: NONCE, want: 'ERR_PING_TOKEN_EXPIRED' },
    { name: 'expiry is inclusive, for a person', found: expired, want: 'ERR_PING_TOKEN_EXPIRED' },
  ])('$name', ({ found, nonce, want }) => {
    let got: string;
    try {
      got = decidePing(found, { ...(nonce !== undefined ? { nonce } : {}), nowMs: T });
    } catch (err) {
      got = (err as { code: string }).code;
      expect((err as Error).message).not.toContain(NONCE);
    }
    expect(got).toBe(want);
  });
});
