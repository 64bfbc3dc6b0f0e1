import { describe, expect, it } from 'vitest';
import { registrationLines } from './registration-display.js';

/** A QR code as the SDK draws it: rows of half-block characters, `width` columns wide. */
const qrOf = (width: number) => `${Array.from({ length: 5 }, () => '█▀▄ '.repeat(width).slice(0, width)).join('\n')}\n`;

describe('registrationLines', () => {
  it('shows no QR code for an address only this machine can open', () => {
    for (const url of ['http://127.0.0.1:8440/index.php?id=1', 'http://localhost:8440/', 'http://[::1]:8440/', 'http://ca.localhost/']) {
      const lines = registrationLines(url, qrOf(40), 200);
      expect(lines).toContain(`  ${url}`);
      expect(lines.join('\n')).not.toMatch(/[▀▄█]/);
    }
  });

  it('draws the QR code for a CA another device can reach, when the terminal is wide enough', () => {
    const url = 'https://ca.example.org/index.php?id=1&EmailAddress=a%40example.org';
    const wide = registrationLines(url, qrOf(45), 45);
    expect(wide).toContain('or scan it with a phone:');
    expect(wide.filter((line) => /[▀▄█]/.test(line))).toHaveLength(5);
    const narrow = registrationLines(url, qrOf(45), 44);
    expect(narrow.join('\n')).not.toMatch(/[▀▄█]/);
    expect(narrow).toContain('(a QR code of it needs 45 columns; this terminal has 44)');
  });

  it('shows no QR code when the output is not a terminal', () => {
    expect(registrationLines('https://ca.example.org/index.php?id=1', qrOf(30), undefined).join('\n')).not.toMatch(/[▀▄█]/);
  });
});
