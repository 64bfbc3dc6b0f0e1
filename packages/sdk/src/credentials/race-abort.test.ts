import { describe, expect, it } from 'vitest';
import { raceAbort } from './race-abort.js';

describe('raceAbort', () => {
  it('settles like the promise when no signal aborts', async () => {
    await expect(raceAbort(Promise.resolve(1), undefined)).resolves.toBe(1);
    await expect(raceAbort(Promise.resolve(2), new AbortController().signal)).resolves.toBe(2);
    await expect(raceAbort(Promise.reject(new Error('platform')), new AbortController().signal)).rejects.toThrow('platform');
  });

  it('rejects with the reason of an already aborted signal', async () => {
    const reason = new Error('early');
    await expect(raceAbort(Promise.reject(new Error('ignored')), AbortSignal.abort(reason))).rejects.toBe(reason);
  });

  it('rejects with the reason as soon as the signal aborts, without waiting for the promise', async () => {
    const controller = new AbortController();
    const never = new Promise<never>(() => {});
    const raced = raceAbort(never, controller.signal);
    const reason = new Error('late');
    controller.abort(reason);
    await expect(raced).rejects.toBe(reason);
  });
});
