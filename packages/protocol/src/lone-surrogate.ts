/**
 * Whether a string holds a UTF-16 surrogate without its pair. Such a string has no UTF-8 form:
 * `URLSearchParams` would send U+FFFD instead and `encodeURIComponent` throws a `URIError`, so the
 * encoders refuse it first. (With the `u` flag a paired surrogate is one code point, never `Cs`.)
 * @example
 * hasLoneSurrogate('Ann\ud800'); // true
 * hasLoneSurrogate('😀'); // false
 */
export function hasLoneSurrogate(text: string): boolean {
  return /\p{Cs}/u.test(text);
}
