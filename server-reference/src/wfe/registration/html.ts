/**
 * The one escape function of the CA's pages: every value that reaches HTML goes through it.
 */
import { formatFingerprint } from '@certwizard/pki';
import { revealControls } from '../../accounts/bidi-controls.js';

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML element content and double- or single-quoted attribute values.
 * @example
 * escapeHtml('<script>"x"</script>'); // '&lt;script&gt;&quot;x&quot;&lt;/script&gt;'
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/**
 * {@link escapeHtml} for text that someone else chose and a reader must be able to trust (names,
 * installation labels, request subjects on the account and operator pages): bidirectional and
 * C0/C1 controls are written as visible `\uXXXX`, so a row stored before they were refused
 * cannot make the text around it display reordered.
 * @example
 * escapeShown('Ada\u202E<b>'); // 'Ada\\u202E&lt;b&gt;'
 */
export function escapeShown(value: string): string {
  return escapeHtml(revealControls(value));
}

/**
 * The log-in form of the account and operator areas, with an optional error above it (shown as
 * a {@link sentence}).
 * @param options.action - where the form posts; `emailLabel` labels the address field;
 *   `after` is trusted HTML put after the form.
 * @example
 * loginFormHtml({ action: '/login', emailLabel: 'Email address' });
 */
export function loginFormHtml(options: { action: string; emailLabel: string; message?: string; email?: string; after?: string }): string {
  const { action, emailLabel, message, email = '', after = '' } = options;
  return `${message ? `<p class="error" role="alert">${escapeHtml(sentence(message))}</p>` : ''}<form method="post" action="${escapeHtml(action)}">
<label for="EmailAddress">${escapeHtml(emailLabel)}</label><input id="EmailAddress" name="EmailAddress" type="email" required autocomplete="username" value="${escapeHtml(email)}">
<label for="Password">Password</label><input id="Password" name="Password" type="password" required autocomplete="current-password">
<button type="submit">Log in</button>
</form>${after}`;
}

/**
 * A message for a person, as a sentence: the first letter capitalised and a full stop at the
 * end. For the pages only: the errors' own messages (and the JSON API's) stay as they are.
 * @example
 * sentence('the two passwords differ'); // 'The two passwords differ.'
 */
export function sentence(message: string): string {
  const trimmed = message.trim();
  if (trimmed === '') return trimmed;
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * A SHA-256 (lower- or upper-case hex) as the pages show it: byte pairs joined by `:` in a
 * `<code class="fp">`, with a `<wbr>` after each `:` so a narrow screen wraps it between byte
 * pairs, never inside one (the text read or copied is unchanged).
 * @example
 * fingerprintHtml('ab01'); // '<code class="fp">AB:<wbr>01</code>'
 */
export function fingerprintHtml(hex: string): string {
  return `<code class="fp">${escapeHtml(formatFingerprint(hex)).split(':').join(':<wbr>')}</code>`;
}

/** A time for tables on the pages, to the minute, in UTC; `-` when there is none. */
export function utcMinute(ms: number | undefined): string {
  return ms === undefined ? '-' : `${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}
