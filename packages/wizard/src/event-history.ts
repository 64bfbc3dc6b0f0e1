/**
 * Everything the wizard told the browser, in order, so that a page that reloads or reconnects
 * gets the whole story again. Bounded: repeated polling events replace their previous one (the
 * page needs the latest only), and past {@link EventHistory} `max` records the oldest go.
 */
import type { WizardEvent, WizardEventRecord } from './wire.js';

/** Default most records kept. */
export const DEFAULT_HISTORY_MAX = 1000;

/** Receives each record as it is appended. */
export type HistoryListener = (record: WizardEventRecord) => void;

/** The wizard's event log; see the file comment. */
export class EventHistory {
  readonly #max: number;
  readonly #now: () => Date;
  #records: WizardEventRecord[] = [];
  readonly #keyOf = new Map<number, string>();
  readonly #listeners = new Set<HistoryListener>();
  #nextId = 1;

  /**
   * @param options.max - most records kept (at least 1). Default {@link DEFAULT_HISTORY_MAX}.
   * @param options.now - clock of the `at` field. Default: the system clock.
   */
  constructor(options: { max?: number; now?: () => Date } = {}) {
    this.#max = Math.max(1, options.max ?? DEFAULT_HISTORY_MAX);
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Records `event` and tells every listener. With a `coalesceKey`, the previous record with the
   * same key is dropped: a replay then shows only the latest of a repeated event.
   * @example
   * history.append({ type: 'finished' });
   */
  append(event: WizardEvent, coalesceKey?: string): WizardEventRecord {
    const record: WizardEventRecord = Object.freeze({ id: this.#nextId++, at: this.#now().toISOString(), event });
    if (coalesceKey !== undefined) {
      const previous = this.#records.findIndex((r) => this.#keyOf.get(r.id) === coalesceKey);
      if (previous !== -1) this.#drop(previous);
      this.#keyOf.set(record.id, coalesceKey);
    }
    this.#records.push(record);
    while (this.#records.length > this.#max) this.#drop(0);
    for (const listener of this.#listeners) {
      try {
        listener(record);
      } catch {
        // One broken stream must not keep the others (or the flow) from going on.
      }
    }
    return record;
  }

  /** The records after id `lastId` (0: all of them), oldest first. */
  since(lastId: number): readonly WizardEventRecord[] {
    return this.#records.filter((r) => r.id > lastId);
  }

  /** Calls `listener` for every later record; returns the function that stops it. */
  subscribe(listener: HistoryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #drop(index: number): void {
    const [gone] = this.#records.splice(index, 1);
    if (gone !== undefined) this.#keyOf.delete(gone.id);
  }
}
