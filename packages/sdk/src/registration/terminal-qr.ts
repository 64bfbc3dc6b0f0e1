/**
 * The registration URL as a QR code for a terminal.
 */
import QRCode from 'qrcode';

/**
 * Draws `text` as a QR code with Unicode half blocks (`qrcode` `type: 'terminal', small: true`).
 * @example
 * process.stderr.write(await terminalQr('https://ca.example/index.php?id=1'));
 */
export function terminalQr(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'terminal', small: true });
}
