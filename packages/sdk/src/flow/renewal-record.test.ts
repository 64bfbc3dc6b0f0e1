/**
 * The renewal's rules without a CA: the own window (a third of the lifetime left to a sixth),
 * the due point drawn from the serial (inside the window, stable, spread over a fleet), the
 * back-off (1 h doubling to 1 day, jittered), and the state file's check of the record.
 */
import { describe, expect, it } from 'vitest';
import { StateFileError } from './errors.js';
import { checkRenewalRecord, dueTimeIn, nextAttemptAfter, ownWindow, RENEWAL_RETRY_FIRST_MS, RENEWAL_RETRY_MAX_MS } from './renewal-record.js';

const DAY = 86_400_000;
const notBefore = new Date('2026-01-01T00:00:00Z');
const notAfter = new Date(notBefore.getTime() + 90 * DAY);

describe('ownWindow', () => {
  it('starts when a third of the lifetime is left and ends when a sixth is', () => {
    const w = ownWindow(notBefore, notAfter);
    expect(w.start.toISOString()).toBe(new Date(notBefore.getTime() + 60 * DAY).toISOString());
    expect(w.end.toISOString()).toBe(new Date(notBefore.getTime() + 75 * DAY).toISOString());
  });
});

describe('dueTimeIn', () => {
  const window = ownWindow(notBefore, notAfter);
  it('is inside the window, the same for the same serial in either case, and follows a moved window', () => {
    const due = dueTimeIn(window, '0a1b2c');
    expect(due.getTime()).toBeGreaterThanOrEqual(window.start.getTime());
    expect(due.getTime()).toBeLessThan(window.end.getTime());
    expect(dueTimeIn(window, '0A1B2C').getTime()).toBe(due.getTime());
    const earlier = { start: new Date(window.start.getTime() - 30 * DAY), end: new Date(window.end.getTime() - 30 * DAY) };
    expect(dueTimeIn(earlier, '0a1b2c').getTime()).toBe(due.getTime() - 30 * DAY);
  });
  it('spreads a fleet over the window', () => {
    const span = window.end.getTime() - window.start.getTime();
    const quarters = [0, 0, 0, 0];
    for (let i = 0; i < 400; i++) {
      const at = dueTimeIn(window, (0x100000 + i * 7919).toString(16)).getTime() - window.start.getTime();
      quarters[Math.min(3, Math.floor((at / span) * 4))]! += 1;
    }
    // Uniform: 100 expected per quarter; far outside 50..150 would mean a clustered draw.
    for (const n of quarters) expect(n).toBeGreaterThan(50);
  });
  it('is the start for a window of no length or one that ends before it starts', () => {
    expect(dueTimeIn({ start: notBefore, end: notBefore }, 'ff').getTime()).toBe(notBefore.getTime());
    expect(dueTimeIn({ start: notAfter, end: notBefore }, 'ff').getTime()).toBe(notAfter.getTime());
  });
});

describe('nextAttemptAfter', () => {
  const cases = [
    { name: 'first failure: one hour', failures: 1, want: RENEWAL_RETRY_FIRST_MS },
    { name: 'second: two hours', failures: 2, want: 2 * RENEWAL_RETRY_FIRST_MS },
    { name: 'fifth: sixteen hours', failures: 5, want: 16 * RENEWAL_RETRY_FIRST_MS },
    { name: 'sixth and later: one day at most', failures: 6, want: RENEWAL_RETRY_MAX_MS },
    { name: 'a thousand failures: still one day', failures: 1000, want: RENEWAL_RETRY_MAX_MS },
  ];
  for (const { name, failures, want } of cases) {
    it(name, () => {
      const now = notBefore.getTime();
      expect(nextAttemptAfter(failures, now, () => 0.5).getTime() - now).toBe(want);
      expect(nextAttemptAfter(failures, now, () => 0).getTime() - now).toBe(Math.round(want * 0.8));
      expect(nextAttemptAfter(failures, now, () => 0.999999).getTime() - now).toBeLessThan(want * 1.2);
    });
  }
});

describe('checkRenewalRecord', () => {
  const refuse = (why: string): never => {
    throw new StateFileError(why);
  };
  const checkRequest = () => ({ csrPem: 'x', csrSha256: 'y' });
  const good = { serialHex: '0a1b', failures: 2, dueAt: '2026-03-01T00:00:00.000Z', dueSource: 'ca', nextAttemptAt: '2026-03-01T02:00:00.000Z' };
  it('keeps a valid record as it is', () => {
    expect(checkRenewalRecord(good, refuse, checkRequest)).toEqual(good);
  });
  const bad: Array<[string, unknown]> = [
    ['not an object', 'soon'],
    ['a serial that is not lower-case hex', { ...good, serialHex: '0A:1B' }],
    ['negative failures', { ...good, failures: -1 }],
    ['a due time that is not a time', { ...good, dueAt: 'tomorrow' }],
    ['an unknown source', { ...good, dueSource: 'guess' }],
    ['dropped names that are not strings', { ...good, droppedNames: [1] }],
    ['a failure without its time', { ...good, lastFailure: { code: 'ERR_SDK', message: 'x' } }],
    ['a replaced version of 0', { ...good, replaces: { installedVersion: 0, requestId: null, request: {}, names: { email: [], dns: [] } } }],
  ];
  for (const [name, value] of bad) {
    it(`refuses ${name}`, () => {
      expect(() => checkRenewalRecord(value, refuse, checkRequest)).toThrow(StateFileError);
    });
  }
});
