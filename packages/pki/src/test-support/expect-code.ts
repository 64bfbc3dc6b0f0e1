/**
 * Test support: the `code` of what a function throws, so that a table can say `want: 'ERR_PKI_DER'`
 * and a failure shows which code came instead. Not part of the package's build.
 */

/** What `fn` throws, as its `code`; `uncoded <Name>` for an error without one; `no error`. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return describeThrown(err);
  }
  return 'no error';
}

/** Like {@link codeOf} for a promise: a synchronous throw counts as a rejection. */
export async function codeOfAsync(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return describeThrown(err);
  }
  return 'no error';
}

function describeThrown(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : `uncoded ${(err as Error | null)?.name ?? String(err)}`;
}
