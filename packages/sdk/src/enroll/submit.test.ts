/**
 * The loop of submit() with in-memory methods: what the real CA cannot easily be made to do.
 * (The CA-backed cases are in cacert-method.test.ts and ssl-api-method.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { EnrollmentMethod, SubmitResult } from './enrollment-method.js';
import { submit } from './submit.js';
import { recordingClock } from './test-support/recording-clock.js';

const ID = 'q3k0c4mN1vYb7s2L9xW8aQ';

function scripted(results: SubmitResult[], withPoll = true): EnrollmentMethod {
  const next = async () => results.shift() as SubmitResult;
  return withPoll ? { name: 'scripted', submit: next, poll: next } : { name: 'scripted', submit: next };
}

describe('submit', () => {
  it('waits what the CA Retry-After says (at least 1 s), its own backoff without one, and survives a throwing onEvent', async () => {
    const clock = recordingClock();
    const got = await submit(
      scripted([
        { status: 'pending', requestId: ID, retryAfterMs: 500 },
        { status: 'pending', requestId: ID, retryAfterMs: 7000 },
        { status: 'pending', requestId: ID },
        { status: 'issued', certificatePem: 'leaf', chainPem: 'ca' },
      ]),
      { csrPem: 'csr' },
      {
        clock,
        pollIntervalMs: 2000,
        onEvent: () => {
          throw new Error('broken display');
        },
      },
    );
    expect(clock.waits).toEqual([1000, 7000, 4500]);
    expect(got).toEqual({ certificatePem: 'leaf', chainPem: 'ca' });
  });

  it('caps its own backoff at maxPollIntervalMs when the CA gives no Retry-After', async () => {
    const clock = recordingClock();
    const pending: SubmitResult = { status: 'pending', requestId: ID };
    await submit(
      scripted([pending, pending, pending, pending, pending, { status: 'issued', certificatePem: 'leaf', chainPem: 'ca' }]),
      { csrPem: 'csr' },
      { clock, pollIntervalMs: 1000, maxPollIntervalMs: 2000 },
    );
    expect(clock.waits).toEqual([1000, 1500, 2000, 2000, 2000]);
  });

  it('refuses a method that answers pending without a poll', async () => {
    await expect(submit(scripted([{ status: 'pending', requestId: ID }], false), { csrPem: 'csr' }, { clock: recordingClock() })).rejects.toThrow(TypeError);
  });

  it.each([
    { name: 'a zero timeout', options: { timeoutMs: 0 } },
    { name: 'a timeout beyond setTimeout', options: { timeoutMs: 2 ** 31 } },
    { name: 'a max interval below the interval', options: { pollIntervalMs: 5000, maxPollIntervalMs: 1000 } },
  ])('refuses $name as caller misuse', async ({ options }) => {
    await expect(submit(scripted([]), { csrPem: 'csr' }, options)).rejects.toThrow(TypeError);
  });

  it('rejects with ERR_SDK_ABORTED before sending when the signal is already aborted', async () => {
    let sent = false;
    const method: EnrollmentMethod = {
      name: 'spy',
      submit: async () => {
        sent = true;
        return { status: 'rejected', caCode: 'x', reason: 'x' };
      },
    };
    await expect(submit(method, { csrPem: 'csr' }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_SDK_ABORTED' });
    expect(sent).toBe(false);
  });
});
