/** Test support: the error a call refused with, to assert its code and fields. */

/**
 * Runs `fn` and returns what it threw (or its promise rejected with).
 * @throws {Error} when `fn` succeeded: the test expected a refusal.
 */
export async function refusal(fn: () => unknown): Promise<Error & { code?: string; field?: string }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { code?: string; field?: string };
  }
  throw new Error('expected a refusal');
}
