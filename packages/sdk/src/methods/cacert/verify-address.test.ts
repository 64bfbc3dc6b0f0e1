/**
 * The waits of verifyAddress() against an in-memory CA and an injected clock: the schedule, the
 * time limit measured on the clock, and the abort. (The real CA and mail hook are in
 * flow/email-ping.test.ts.)
 */
import { ADDRESS_PING_PATH, CEMAILS_PATH, encodeAddressPingAnswer, encodeCemailsAnswer } from '@certwizard/protocol';
import { describe, expect, it } from 'vitest';
import { recordingClock } from '../../enroll/test-support/recording-clock.js';
import type { AddressVerificationEvent } from '../../enroll/method-event.js';
import { verifyAddress } from './verify-address.js';

const ADDRESS = 'postmaster@example.org';
const ACCOUNT = 'ada@example.net';

/** A CA that lists the address once `confirmedAtCheck` cemails requests were made (never without it). */
function fakeCa(confirmedAtCheck?: number): { fetch: typeof fetch; checks: () => number; pings: () => number } {
  let checks = 0;
  let pings = 0;
  const fetchImpl = async (input: string | URL | Request) => {
    const { pathname } = new URL(String(input));
    if (pathname === ADDRESS_PING_PATH) {
      pings += 1;
      return new Response(JSON.stringify(encodeAddressPingAnswer(ADDRESS)), { status: 202, headers: { 'content-type': 'application/json' } });
    }
    if (pathname === CEMAILS_PATH) {
      checks += 1;
      const emails = confirmedAtCheck !== undefined && checks >= confirmedAtCheck ? [ACCOUNT, ADDRESS] : [ACCOUNT];
      return new Response(encodeCemailsAnswer({ codeSigning: false, names: ['Ada Lovelace'], emails }), { status: 200 });
    }
    return new Response('not found', { status: 404 });
  };
  return { fetch: fetchImpl as typeof fetch, checks: () => checks, pings: () => pings };
}

const base = { caUrl: 'https://ca.example', installationToken: 'tok_abc', address: ADDRESS };

describe('verifyAddress waits', () => {
  it('looks at once after the ping, then after 2 s growing ×1.5, and reports each wait', async () => {
    const ca = fakeCa(5);
    const clock = recordingClock();
    const events: AddressVerificationEvent[] = [];
    const result = await verifyAddress({ ...base, fetch: ca.fetch, clock, onEvent: (e) => events.push(e) });
    expect(result).toEqual({ address: ADDRESS, alreadyConfirmed: false });
    // Check 1 before the ping, check 2 right after it, checks 3 to 5 after the waits.
    expect(clock.waits).toEqual([2000, 3000, 4500]);
    expect(ca.checks()).toBe(5);
    expect(events.map((e) => (e.type === 'waiting' ? e.delayMs : e.type))).toEqual(['ping-sent', 2000, 3000, 4500, 'confirmed']);
  });

  it('sends no ping for an address the account has already', async () => {
    const ca = fakeCa(1);
    const clock = recordingClock();
    await expect(verifyAddress({ ...base, fetch: ca.fetch, clock })).resolves.toEqual({ address: ADDRESS, alreadyConfirmed: true });
    expect(ca.pings()).toBe(0);
    expect(clock.waits).toEqual([]);
  });

  it('ends with ERR_SDK_ADDRESS_TIMEOUT at timeoutMs on the clock, the last wait cut and no check after it', async () => {
    const ca = fakeCa();
    const clock = recordingClock();
    const error = await verifyAddress({ ...base, fetch: ca.fetch, clock, timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_SDK_ADDRESS_TIMEOUT', address: ADDRESS });
    expect(clock.waits).toEqual([2000, 3000, 4500, 500]);
    expect(ca.checks()).toBe(5);
  });

  it('ends with ERR_SDK_ABORTED, the reason as cause, when the signal aborts during a wait', async () => {
    const ca = fakeCa();
    const controller = new AbortController();
    const clock = recordingClock((n) => {
      if (n === 2) controller.abort('user closed the wizard');
    });
    const error = await verifyAddress({ ...base, fetch: ca.fetch, clock, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_SDK_ABORTED', cause: 'user closed the wizard' });
    expect(clock.waits).toEqual([2000, 3000]);
    expect(ca.checks()).toBe(3);
  });
});
