/**
 * `certwizard timer install|remove` through the built CLI, writing into a temporary unit folder
 * (CERTWIZARD_SYSTEMD_UNIT_DIR) and told whether systemd runs by a temporary folder
 * (CERTWIZARD_SYSTEMD_RUN_DIR). The unit files are checked by systemd's own parser
 * (`systemd-analyze verify`); systemd itself does not run in the test container, so `systemctl`
 * is a script first on PATH that records its argv (what systemd would have been asked to do).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectBuilt, runCli, type CliRun } from './test-support/run-cli.js';
import { cronLine, systemdWord } from './timer-command.js';

const BIN = fileURLToPath(new URL('../bin/certwizard.js', import.meta.url));

let dir: string;
beforeAll(() => expectBuilt(['main', 'timer-command']));
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-timer-'));
  mkdirSync(join(dir, 'bin'));
  // systemctl as a recorder: one line per call; exits 1 when the file `fail` exists.
  writeFileSync(
    join(dir, 'bin', 'systemctl'),
    `#!/bin/sh\necho "$*" >> '${join(dir, 'systemctl.log')}'\n[ -e '${join(dir, 'fail')}' ] && { echo 'Failed to connect to bus' >&2; exit 1; }\nexit 0\n`,
    {
      mode: 0o755,
    },
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The built CLI, with the unit folder and the systemd marker folder of this test. */
function timer(args: string[], systemdRuns: boolean): Promise<CliRun> {
  const run = join(dir, 'run-systemd');
  if (systemdRuns) mkdirSync(run, { recursive: true });
  return runCli(['timer', ...args], {
    PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`,
    CERTWIZARD_SYSTEMD_UNIT_DIR: join(dir, 'units'),
    CERTWIZARD_SYSTEMD_RUN_DIR: systemdRuns ? run : join(dir, 'no-such-folder'),
  });
}

const systemctlCalls = () => (existsSync(join(dir, 'systemctl.log')) ? readFileSync(join(dir, 'systemctl.log'), 'utf8').trim().split('\n') : []);

describe('certwizard timer', () => {
  it('with systemd: writes the service and the timer (systemd-analyze verify accepts them), enables it, prints the files; remove disables and deletes', async () => {
    const certs = join(dir, 'my certs');
    const got = await timer(['install', '--dir', certs, '--credentials-dir', join(dir, 'secrets')], true);
    expect(got.code, got.stderr).toBe(0);
    const service = join(dir, 'units', 'certwizard-renew.service');
    const timerUnit = join(dir, 'units', 'certwizard-renew.timer');
    expect(got.stdout.trim().split('\n')).toEqual([service, timerUnit]);
    const serviceText = readFileSync(service, 'utf8');
    expect(serviceText).toContain('Type=oneshot');
    // The absolute node and certwizard that ran the command, the folders made absolute and quoted.
    expect(serviceText).toContain(`ExecStart=${process.execPath} ${BIN} renew --dir "${certs}" --credentials-dir ${join(dir, 'secrets')}\n`);
    const timerText = readFileSync(timerUnit, 'utf8');
    for (const line of ['OnCalendar=*-*-* 00,12:00:00', 'RandomizedDelaySec=43200', 'Persistent=true', 'WantedBy=timers.target'])
      expect(timerText).toContain(line);
    expect(statSync(service).mode & 0o777).toBe(0o644);
    expect(systemctlCalls()).toEqual(['daemon-reload', 'enable --now certwizard-renew.timer']);
    if (spawnSync('sh', ['-c', 'command -v systemd-analyze']).status === 0) {
      const verify = spawnSync('systemd-analyze', ['verify', '--man=no', service, timerUnit], { encoding: 'utf8' });
      expect(verify.status, verify.stderr).toBe(0);
    }

    const removed = await timer(['remove'], true);
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(service) || existsSync(timerUnit)).toBe(false);
    expect(removed.stdout).toContain(`deleted ${timerUnit}`);
    expect(systemctlCalls().slice(2)).toEqual(['disable --now certwizard-renew.timer', 'daemon-reload']);
  });

  it('--user: systemctl --user; without --credentials-dir it warns that a service has no keychain', async () => {
    const got = await timer(['install', '--user', '--dir', join(dir, 'certs')], true);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stderr).toContain('--credentials-dir');
    expect(readFileSync(join(dir, 'units', 'certwizard-renew.service'), 'utf8')).not.toContain('PrivateTmp');
    expect(systemctlCalls()).toEqual(['--user daemon-reload', '--user enable --now certwizard-renew.timer']);
  });

  it('without systemd: writes nothing and prints the crontab line, twice a day 12 hours apart at a random minute', async () => {
    const got = await timer(['install', '--dir', join(dir, 'certs'), '--credentials-dir', join(dir, 'secrets')], false);
    expect(got.code, got.stderr).toBe(0);
    const match = /^(\d+) (\d+),(\d+) \* \* \* (.*)$/.exec(got.stdout.trim());
    expect(match, got.stdout).not.toBeNull();
    const [, minute, first, second, command] = match as unknown as [string, string, string, string, string];
    expect(Number(minute)).toBeLessThan(60);
    expect(Number(second)).toBe(Number(first) + 12);
    expect(command).toBe(`${process.execPath} ${BIN} renew --dir ${join(dir, 'certs')} --credentials-dir ${join(dir, 'secrets')}`);
    expect(got.stderr).toContain('crontab');
    expect(existsSync(join(dir, 'units'))).toBe(false);
    expect(systemctlCalls()).toEqual([]);
  });

  it('--dry-run prints the files and the commands and changes nothing', async () => {
    const got = await timer(['install', '--dry-run', '--dir', join(dir, 'certs')], true);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toContain('RandomizedDelaySec=43200');
    expect(got.stdout).toContain('would run: systemctl enable --now certwizard-renew.timer');
    expect(existsSync(join(dir, 'units'))).toBe(false);
    expect(systemctlCalls()).toEqual([]);
  });

  it('a systemctl that fails: exit 1 with what it said; bad usage: exit 2', async () => {
    writeFileSync(join(dir, 'fail'), '');
    const got = await timer(['install', '--dir', join(dir, 'certs')], true);
    expect(got.code).toBe(1);
    expect(got.stderr).toContain('systemctl daemon-reload failed: Failed to connect to bus');
    for (const args of [[], ['start'], ['install', 'extra'], ['remove', '--dir', dir]]) expect((await timer(args, true)).code, args.join(' ')).toBe(2);
  });
});

describe('systemdWord and cronLine', () => {
  it.each([
    { input: '/usr/bin/node', want: '/usr/bin/node' },
    { input: '/srv/my certs', want: '"/srv/my certs"' },
    { input: '/srv/100%', want: '"/srv/100%%"' },
    { input: '/srv/$HOME', want: '"/srv/$$HOME"' },
    { input: '/srv/a"b\\c d', want: '"/srv/a\\"b\\\\c d"' },
  ])('quotes $input for ExecStart as $want', ({ input, want }) => {
    expect(systemdWord(input)).toBe(want);
  });

  it('refuses a line break in a path, and quotes the cron command for sh with % escaped', () => {
    expect(() => systemdWord('/srv/a\nb')).toThrow(/line break/);
    expect(cronLine(['/usr/bin/node', "/srv/it's 100%"])).toMatch(/^\d+ \d+,\d+ \* \* \* \/usr\/bin\/node '\/srv\/it'\\''s 100\\%'$/);
  });
});
