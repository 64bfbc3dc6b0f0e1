/**
 * Test support for the codec property tests (`*.property.test.ts`) of every package: one fixed
 * seed and one bound for all of them, a watchdog that turns a hanging decoder into a failed run,
 * the check that a decoder throws nothing but its package's typed errors, and arbitraries that
 * damage a valid encoding. Not part of any package's build.
 */
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';

/** The seed of every property run: what fails once fails again, on every machine. */
export const PROPERTY_SEED = 20_260_607;

/** Runs of a property that does not say otherwise. */
export const PROPERTY_RUNS = 200;

/** A property still running after this long is stopped by fast-check and reported as failed. */
const SLOW_MS = 15_000;

/**
 * A property still running after this long is stuck in a synchronous loop, which neither
 * fast-check nor vitest's timeout can interrupt (both wait for the event loop): the watchdog
 * thread kills the test process, and vitest fails the run with "Worker exited unexpectedly".
 */
const HANG_MS = 60_000;

/**
 * The watchdog, run in its own thread: it waits on a shared cell for the property to end and
 * kills the process when it does not. It writes with writeSync because the blocked main thread
 * would never relay an asynchronous write.
 */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { cell, ms } = workerData;
if (Atomics.wait(cell, 0, 0, ms) === 'timed-out') {
  writeSync(2, 'property test: a decoder is still running after ' + ms + ' ms; killing the test process\\n');
  process.kill(process.pid, 'SIGKILL');
}`;

/**
 * Checks `property` with the shared seed, `numRuns` runs, and both time limits.
 * @example
 * checkProperty(fc.property(fc.string(), (text) => { decode(text); }));
 */
export function checkProperty<Ts>(property: fc.IProperty<Ts>, options: { numRuns?: number } = {}): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const watchdog = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { cell, ms: HANG_MS } });
  watchdog.unref();
  try {
    fc.assert(property, {
      seed: PROPERTY_SEED,
      numRuns: options.numRuns ?? PROPERTY_RUNS,
      plugins: [fc.interruptAfterTimeLimit(SLOW_MS, { failOnInterrupt: true })],
    });
  } finally {
    Atomics.store(cell, 0, 1);
    Atomics.notify(cell, 0);
  }
}

/** What a decoder did with one input: returned a value, or threw one of its package's typed errors. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

/**
 * Runs `decode`. A throw that `isTyped` accepts is an outcome; any other (TypeError, RangeError,
 * a plain Error) is rethrown so that the property fails on that input.
 */
export function outcome<T>(decode: () => T, isTyped: (error: unknown) => boolean): Outcome<T> {
  try {
    return { ok: true, value: decode() };
  } catch (error) {
    if (isTyped(error)) return { ok: false, error: error as Error };
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new Error(`the decoder threw ${what}, which is not one of its package's typed errors`, { cause: error });
  }
}

/** One edit of a valid encoding; `at` and `value` are reduced modulo what they index. */
interface Edit {
  readonly kind: 'flip' | 'set' | 'insert' | 'delete' | 'truncate' | 'repeat';
  readonly at: number;
  readonly value: number;
}

const edits: fc.Arbitrary<Edit[]> = fc.array(
  fc.record({
    kind: fc.constantFrom<Edit['kind']>('flip', 'set', 'insert', 'delete', 'truncate', 'repeat'),
    at: fc.nat(),
    value: fc.nat(),
  }),
  { minLength: 1, maxLength: 4 },
);

/**
 * Applies edits to a list of units (bytes or characters). `unit(value, old)` makes the unit to
 * write: `old` is the unit a flip changes, undefined for an overwrite or an insertion.
 */
function applyEdits<U>(units: U[], list: readonly Edit[], unit: (value: number, old: U | undefined) => U): U[] {
  const out = [...units];
  for (const { kind, at, value } of list) {
    const i = out.length === 0 ? 0 : at % out.length;
    if (kind === 'flip' || kind === 'set') {
      if (out.length > 0) out[i] = unit(value, kind === 'flip' ? out[i] : undefined);
    } else if (kind === 'insert') out.splice(at % (out.length + 1), 0, unit(value, undefined));
    else if (kind === 'delete') out.splice(i, 1 + (value % 4));
    else if (kind === 'truncate') out.length = i;
    else out.splice(i, 0, ...out.slice(i, i + 1 + (value % 16)));
  }
  return out;
}

/**
 * A valid encoding from `valid` with one to four edits: a flipped bit, an overwritten, inserted
 * or deleted byte, a repeated run, or the end cut off.
 */
export function mutatedBytes(valid: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...valid), edits)
    .map(([bytes, list]) => Uint8Array.from(applyEdits([...bytes], list, (value, old) => (old === undefined ? value & 0xff : old ^ (1 << (value % 8))))));
}

/**
 * A valid text from `valid` with one to four edits, as {@link mutatedBytes} does, in UTF-16
 * code units; what is written or inserted is taken from `units` (the format's special characters).
 */
export function mutatedText(valid: readonly string[], units: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...valid), edits)
    .map(([text, list]) => applyEdits(text.split(''), list, (value) => units[value % units.length] as string).join(''));
}
