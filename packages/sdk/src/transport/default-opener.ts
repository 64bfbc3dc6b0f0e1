/**
 * The default browser opener: the `open` package, loaded only when it is used.
 */

/** Opens `url` in the user's browser; rejects when it cannot. */
export type BrowserOpener = (url: string, context: { readonly signal: AbortSignal }) => Promise<void>;

/**
 * Opens `url` with the `open` package (xdg-open, `open`, `start` depending on the platform).
 *
 * It rejects when the opener program cannot be started (e.g. no `xdg-open`). It cannot tell
 * whether a browser window really appeared: on a machine without a display, `xdg-open` may start
 * and fail later. Callers that know the machine is headless pass `noBrowser: true` to `register()`;
 * the ticket keeps working either way.
 * @throws {Error} whatever `open` rejects with.
 * @example
 * await openWithSystemBrowser('https://ca.example/index.php?id=1', { signal });
 */
export const openWithSystemBrowser: BrowserOpener = async (url, { signal }) => {
  signal.throwIfAborted();
  const { default: open } = await import('open');
  await open(url, { wait: false });
};
