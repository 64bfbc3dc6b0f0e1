import { describe, expect, it } from 'vitest';
import { EventHistory } from './event-history.js';
import type { WizardEvent } from './wire.js';

const at = new Date('2026-01-02T03:04:05.000Z');
const poll = (run: number): WizardEvent => ({ type: 'flow', run, event: { type: 'registration', event: { type: 'ticket-state', status: 'pending' } } });

describe('EventHistory', () => {
  it('numbers records from 1, stamps them, and replays after an id', () => {
    const history = new EventHistory({ now: () => at });
    history.append({ type: 'finished' });
    history.append({ type: 'closing' });
    expect(history.since(0)).toEqual([
      { id: 1, at: at.toISOString(), event: { type: 'finished' } },
      { id: 2, at: at.toISOString(), event: { type: 'closing' } },
    ]);
    expect(history.since(1).map((r) => r.id)).toEqual([2]);
    expect(history.since(2)).toEqual([]);
  });

  it('a repeated polling event replaces the previous one, so replays stay short however long the wait', () => {
    const history = new EventHistory();
    history.append({ type: 'run-started', run: 1, keyType: 'p256' });
    for (let i = 0; i < 500; i++) history.append(poll(1), 'ticket-state');
    expect(history.since(0).map((r) => r.id)).toEqual([1, 501]);
  });

  it('past its cap the oldest records go', () => {
    const history = new EventHistory({ max: 3 });
    for (let i = 0; i < 5; i++) history.append({ type: 'finished' });
    expect(history.since(0).map((r) => r.id)).toEqual([3, 4, 5]);
  });

  it('tells listeners until they unsubscribe; a throwing listener does not stop the others', () => {
    const history = new EventHistory();
    const seen: number[] = [];
    history.subscribe(() => {
      throw new Error('broken stream');
    });
    const stop = history.subscribe((r) => seen.push(r.id));
    history.append({ type: 'finished' });
    stop();
    history.append({ type: 'finished' });
    expect(seen).toEqual([1]);
  });
});
