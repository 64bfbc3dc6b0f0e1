/**
 * Times and dates as the person reads them, in their browser's language.
 */

/** `14:03:27` for an ISO time. */
export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** `12 March 2027 (364 days from now)` for an ISO time. */
export function expiry(iso: string, now = Date.now()): string {
  const date = new Date(iso);
  const days = Math.floor((date.getTime() - now) / 86_400_000);
  return `${date.toLocaleDateString(undefined, { dateStyle: 'long' })} (${days} ${days === 1 ? 'day' : 'days'} from now)`;
}

/** `about 30 seconds`, `about 2 minutes` for a wait in ms. */
export function roughDuration(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 90) return `about ${seconds} ${seconds === 1 ? 'second' : 'seconds'}`;
  return `about ${Math.round(seconds / 60)} minutes`;
}

/**
 * A file path cut after each separator (`/`, and `\` for Windows paths), so that a long path
 * can wrap at a folder boundary instead of in the middle of a name.
 * @example
 * pathParts('/etc/examplemail/certs'); // ['/', 'etc/', 'examplemail/', 'certs']
 */
export function pathParts(path: string): string[] {
  return path.match(/[^/\\]*[/\\]|[^/\\]+$/g) ?? [path];
}
