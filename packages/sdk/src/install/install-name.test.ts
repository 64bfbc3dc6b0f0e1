/**
 * Regression: install names that are device names on Windows (`con`, `nul`, `com1`...) were
 * accepted. There, `live\con\` or `nul.pem` names the device, not a folder or file, so the
 * certificate would go nowhere (or to a printer port). They are refused on every platform, so
 * that a name chosen on Linux still works when the same installer runs on Windows.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { install } from './install.js';
import { isInstallName, isWindowsDeviceName } from './layout.js';
import { readInstalled } from './read-installed.js';
import { useInstallFixture } from './test-support/install-fixture.js';

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
/** Every device name, in the lower case install names are written in. */
const DEVICES = ['con', 'prn', 'aux', 'nul', ...DIGITS.map((d) => `com${d}`), ...DIGITS.map((d) => `lpt${d}`)];

/** Names that match the install-name pattern but are devices on Windows. */
const refused: { name: string }[] = [
  ...DEVICES.map((name) => ({ name })),
  { name: 'con.txt' },
  { name: 'nul.pem' },
  { name: 'com1.tar.gz' },
  { name: 'lpt9.example.org' },
  { name: 'aux.' },
  { name: 'prn...' },
];

/** Names close to a device name that are not one. */
const accepted: { name: string }[] = [
  { name: 'console' },
  { name: 'com10' },
  { name: 'lpt' },
  { name: 'nul-1' },
  { name: 'auxiliary.example.org' },
  { name: 'mail.con' },
  { name: 'x.nul.pem' },
];

/** The device-name rule itself, for spellings the install-name pattern already refuses. */
const deviceCases: { input: string; want: boolean }[] = [
  { input: 'CON', want: true },
  { input: 'Nul.Pem', want: true },
  { input: 'con .txt', want: true },
  { input: 'NUL. . ', want: true },
  { input: 'COM\u00b9', want: true },
  { input: 'lpt\u00b3.log', want: true },
  { input: 'COM\u2074', want: false },
  { input: 'CONIN', want: false },
  { input: '', want: false },
];

const fixture = useInstallFixture('install-name-');

describe('install names that are Windows device names', () => {
  it.each(refused)('install refuses $name before writing anything', async ({ name }) => {
    const { base, pki } = fixture;
    const run = install({ baseDir: base, name, ...pki.leaf('mail.example.org'), chainPem: pki.chainPem, trustAnchorsPem: pki.rootPem });
    await expect(run).rejects.toThrow(TypeError);
    await expect(run).rejects.toThrow(/device name on Windows/);
    expect(readdirSync(base)).toEqual([]);
    await expect(readInstalled(base, name)).rejects.toThrow(TypeError);
    expect(isInstallName(name)).toBe(false);
  });

  it.each(accepted)('$name is an install name', ({ name }) => {
    expect(isInstallName(name)).toBe(true);
  });

  it('installs under a name that only starts like a device name', async () => {
    const { base, pki } = fixture;
    const installed = await install({ baseDir: base, name: 'console', ...pki.leaf('mail.example.org'), chainPem: pki.chainPem, trustAnchorsPem: pki.rootPem });
    expect(installed.version).toBe(1);
  });

  it.each(deviceCases)('isWindowsDeviceName($input) is $want', ({ input, want }) => {
    expect(isWindowsDeviceName(input)).toBe(want);
  });
});
