/**
 * The default browser opener: the `open` package, loaded only when it is used.
 */
import type { ChildProcess } from 'node:child_process';
import { SdkError } from '../errors.js';

/** Opens `url` in the user's browser; rejects when it cannot. */
export type BrowserOpener = (url: string, context: { readonly signal: AbortSignal }) => Promise<void>;

/** How long the opener program is watched for an early failure, in ms. */
export const OPENER_GRACE_MS = 1500;

/**
 * The opener program started but reported failure (e.g. `xdg-open` on a machine without a
 * display). `register()` catches it and shows the URL instead; it reaches the caller only from
 * {@link openWithSystemBrowser} called directly.
 */
export class OpenerFailedError extends SdkError {
  override readonly code = 'ERR_SDK_OPENER_FAILED';
}

/**
 * Watches the opener program: a non-zero exit (or a spawn error) within `graceMs` is a failure,
 * anything else counts as opened. `xdg-open` without a display or browser exits with a non-zero
 * status at once; with one it hands the URL over and exits 0 (or keeps running).
 * @throws {OpenerFailedError} `ERR_SDK_OPENER_FAILED`.
 */
export function watchOpener(child: ChildProcess, graceMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onExit = (code: number | null) => done(code === 0 ? undefined : new OpenerFailedError(`the browser opener exited with status ${code ?? 'unknown'}`));
    const onError = (error: Error) => done(new OpenerFailedError(`the browser opener could not start: ${error.message}`));
    const onAbort = () => done();
    const timer = setTimeout(() => done(), graceMs);
    child.once('exit', onExit);
    child.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (child.exitCode !== null) onExit(child.exitCode);
  });
}

/**
 * Opens `url` with the `open` package (xdg-open, `open`, `start` depending on the platform),
 * then watches the opener program for {@link OPENER_GRACE_MS}: on a machine without a display,
 * `xdg-open` fails at once, and `register()` then shows the URL and a QR code and relies on the
 * ticket. This needs no look at the environment (the SDK reads none).
 * @throws {OpenerFailedError} `ERR_SDK_OPENER_FAILED` when the opener fails early; whatever
 *   `open` rejects with when it cannot start at all.
 * @example
 * await openWithSystemBrowser('https://ca.example/index.php?id=1', { signal });
 */
export const openWithSystemBrowser: BrowserOpener = async (url, { signal }) => {
  signal.throwIfAborted();
  const { default: open } = await import('open');
  const child = await open(url, { wait: false });
  await watchOpener(child, OPENER_GRACE_MS, signal);
};
