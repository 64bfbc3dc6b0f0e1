/**
 * Where the registration URL goes by default when no browser opens: the process's stderr.
 */

/** What `display` receives: the URL to open and the same URL as a terminal QR code. */
export interface DisplayInfo {
  /** The registration URL. Holds the ticket and the agent's secret path: show it, do not log it. */
  readonly url: string;
  /** The URL as a QR code drawn with block characters, for a phone's camera. */
  readonly qr: string;
  /**
   * The user code the CA's pages show for this registration (from a current CA): tell the person
   * to go on only if the page shows the same code (RFC 8628 §5.4).
   */
  readonly userCode?: string;
}

/**
 * Writes the URL and its QR code to `process.stderr`, so that stdout stays the installer's.
 * @example
 * displayOnStderr({ url, qr });
 */
export function displayOnStderr(info: DisplayInfo): void {
  const code = info.userCode === undefined ? '' : `\nThe CA's page shows this code: ${info.userCode}. Go on only if it is the same.\n`;
  process.stderr.write(`Open this address in a browser to register with the certificate authority:\n\n  ${info.url}\n\nor scan:\n${info.qr}\n${code}`);
}
