/**
 * What every bench shares: its failure type, the busy-machine threshold, and a checked reader
 * of whole-number options.
 */

/** CPU taken by other work during a measurement, in cores, above which a report warns. */
export const BUSY_MACHINE_CORES = 0.2;

/** A failed bench (a wrong answer, a lost row or message): exit 1, like a setup error. */
export class BenchFailure extends Error {
  name = 'BenchFailure';
}

/**
 * A reader of whole-number options from parseArgs `values`: `int(name, min, max)` returns the
 * number or throws a TypeError naming the option and its range.
 * @param {Record<string, unknown>} values
 */
export function wholeNumbers(values) {
  return (name, min, max) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min || n > max) throw new TypeError(`--${name} wants a whole number from ${min} to ${max}`);
    return n;
  };
}
