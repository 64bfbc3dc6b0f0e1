/**
 * How `certwizard enroll --no-browser` shows the registration address: the address, and a QR
 * code only when a phone could open it and the terminal is wide enough to draw it.
 */

/** Host names that only this machine can reach: a phone scanning a QR code of them gets nowhere. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '0.0.0.0';
}

/**
 * The lines to print for the registration address `url`: the address, then its QR code
 * (`qr`, one string of block characters) when another device can reach `url` and the QR's
 * widest line fits in `columns` (undefined: not a terminal, so no QR either).
 * @example
 * registrationLines('http://127.0.0.1:8440/index.php?id=1', qr, 120); // the address only: a phone cannot open loopback
 */
export function registrationLines(url: string, qr: string, columns: number | undefined): string[] {
  const lines = ['Open this address in a browser to register with the certificate authority:', '', `  ${url}`, ''];
  if (isLoopbackHost(new URL(url).hostname) || columns === undefined) return lines;
  const drawn = qr.replace(/\n+$/, '').split('\n');
  const width = Math.max(...drawn.map((line) => [...line].length));
  if (width > columns) return [...lines, `(a QR code of it needs ${width} columns; this terminal has ${columns})`, ''];
  return [...lines, 'or scan it with a phone:', ...drawn, ''];
}
