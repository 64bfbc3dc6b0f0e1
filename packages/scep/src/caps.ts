/**
 * GetCACaps bodies (RFC 8894 §3.5.2).
 */

/** RFC 8894 §3.5.2: the GetCACaps answer body, one capability a line, "\n" separated as the RFC's examples show. */
export function formatCaCaps(capabilities: readonly string[]): string {
  for (const cap of capabilities) {
    if (cap.length === 0 || /[\r\n]/.test(cap)) throw new TypeError('a capability is one non-empty line');
  }
  return capabilities.join('\n');
}

/** RFC 8894 §3.5.2: parses a GetCACaps body: lines trimmed, case kept, empty lines dropped. */
export function parseCaCaps(body: string): string[] {
  return body
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
