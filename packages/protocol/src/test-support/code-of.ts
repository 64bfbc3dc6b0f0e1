/** Test support: the `code` (or, failing that, the name) of what `fn` throws; undefined if nothing. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).name;
  }
  return undefined;
}
