/**
 * The Unicode bidirectional controls: characters that change the display order of the text
 * around them (Unicode UAX #9). In a name they can make it display as something else ("Trojan
 * Source", CVE-2021-42574), so the CA refuses them in what it shows, and shows escaped any that
 * older rows still hold.
 */

/**
 * The explicit embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069) and the
 * implicit marks (U+200E LRM, U+200F RLM, U+061C ALM), as a character class body. ZWNJ and ZWJ
 * are not among them: they are part of correct spelling in Persian and Indic scripts.
 */
const BIDI_CLASS = '\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069';

/**
 * Matches a bidirectional control.
 * @example
 * BIDI_CONTROLS.test('evil\u202Eeman'); // true
 */
export const BIDI_CONTROLS = new RegExp(`[${BIDI_CLASS}]`, 'u');

/** What {@link revealControls} rewrites: the bidirectional controls and the C0/C1 controls. */
const REVEALED = new RegExp(`[\\p{Cc}${BIDI_CLASS}]`, 'gu');

/**
 * Writes every bidirectional and C0/C1 control as the visible text `\uXXXX`, so that a value
 * stored before they were refused (or taken from a certificate request) is shown as it is,
 * instead of reordering what is around it.
 * @example
 * revealControls('Ada\u202Eevil'); // 'Ada\\u202Eevil'
 */
export function revealControls(text: string): string {
  return text.replace(REVEALED, (c) => `\\u${(c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`);
}
