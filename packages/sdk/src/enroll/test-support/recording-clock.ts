/**
 * A clock that records the waits asked of it instead of sleeping through them: time advances by
 * each wait, and an optional hook runs during the wait (e.g. the owner approving the request).
 */
import type { Clock } from '../../registration/clock.js';

export interface RecordingClock extends Clock {
  /** Every wait, in ms, in order. */
  readonly waits: number[];
}

export function recordingClock(onWait?: (waitNumber: number) => void | Promise<void>): RecordingClock {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    sleep: async (ms, signal) => {
      signal.throwIfAborted();
      waits.push(ms);
      now += ms;
      await onWait?.(waits.length);
      // Yield to the event loop, as a real timer would.
      await new Promise((resolve) => setImmediate(resolve));
      signal.throwIfAborted();
    },
  };
}
