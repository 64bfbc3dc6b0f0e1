/**
 * Reading the `Retry-After` header (RFC 9110 §10.2.3).
 */

/**
 * The delay a `Retry-After` value asks for, in milliseconds: either `delay-seconds` (a
 * non-negative decimal integer) or an HTTP-date (RFC 9110 §5.6.7), relative to `nowMs`.
 * @param value - the header value, or `null` when absent.
 * @param nowMs - the current time in ms since the epoch.
 * @returns the delay (0 for a date in the past), or `undefined` when absent or unreadable.
 * @example
 * retryAfterMs('3', Date.now()); // 3000
 * retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:58 GMT')); // 2000
 */
export function retryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only the IMF-fixdate form and its obsolete relatives: something with a weekday or month name,
  // never a bare number that Date.parse would read as a year.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
