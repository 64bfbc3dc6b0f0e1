/**
 * `certwizard timer install|remove`: runs `certwizard renew` twice a day, as certbot's packaged
 * timer does (`OnCalendar=*-*-* 00,12:00:00`, `RandomizedDelaySec=43200`, `Persistent=true`: a
 * random point in each half day, so that a fleet does not reach its CA at once, and a run missed
 * while the machine was off happens at the next boot). With systemd: a service and a timer unit,
 * enabled at once. Without systemd: the crontab line to add, at a random minute and hour.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EXIT, UsageError } from './exit-codes.js';
import { defaultDir } from './list-commands.js';
import type { CliIo, Terminal } from './terminal.js';

/** The environment variable that replaces the folder the unit files go to. */
export const UNIT_DIR_ENV = 'CERTWIZARD_SYSTEMD_UNIT_DIR';
/** The environment variable that replaces `/run/systemd/system` (sd_booted(3)'s test). */
export const RUN_DIR_ENV = 'CERTWIZARD_SYSTEMD_RUN_DIR';

/** Usage of `certwizard timer`. */
export const TIMER_USAGE = `usage: certwizard timer install [--user] [--dry-run] [--dir DIR] [--credentials-dir DIR]
       certwizard timer remove [--user] [--dry-run]

install: writes certwizard-renew.service and certwizard-renew.timer, which run
  certwizard renew --dir DIR [--credentials-dir DIR] twice a day at a random time (as certbot's
  timer), into /etc/systemd/system (or, with --user, ~/.config/systemd/user), and enables the
  timer with systemctl when systemd runs here. It prints the files it wrote. Without systemd it
  writes nothing and prints the crontab line to add instead (at a random minute).
remove: disables the timer and deletes both files.

options:
  --user                the user's own units (systemctl --user), not the system's (needs root)
  --dry-run             print what would be written and run, change nothing
  --dir DIR             the certificates renew looks after (default: CERTWIZARD_DIR, else
                        ~/.local/state/certwizard); written into the service as an absolute path
  --credentials-dir DIR the file store renew reads the CA's token from (a service has no
                        desktop keychain; without it renew can only use the OS keychain)
  --help                this text

environment (for tests and packaging): ${UNIT_DIR_ENV} replaces the unit folder;
${RUN_DIR_ENV} replaces /run/systemd/system, whose presence says that systemd runs.`;

/** Unit names: stable, since `remove` and a later `install` find them by these. */
export const SERVICE_UNIT = 'certwizard-renew.service';
export const TIMER_UNIT = 'certwizard-renew.timer';

/** How long one systemctl call may take, in ms. */
const SYSTEMCTL_TIMEOUT_MS = 30_000;

const OPTIONS = {
  user: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  dir: { type: 'string' },
  'credentials-dir': { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** Where things are, from the flags and the environment. */
interface Places {
  readonly user: boolean;
  readonly unitDir: string;
  readonly systemdRuns: boolean;
}

/** Runs `certwizard timer install|remove`; resolves with the exit code. */
export async function timerCommand(argv: string[], term: Terminal): Promise<number> {
  const { io } = term;
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  if (values.help) {
    io.stdout.write(`${TIMER_USAGE}\n`);
    return EXIT.ok;
  }
  const [action, ...extra] = positionals;
  if (extra.length > 0 || (action !== 'install' && action !== 'remove')) throw new UsageError('timer takes install or remove');
  if (action === 'remove' && (values.dir !== undefined || values['credentials-dir'] !== undefined))
    throw new UsageError('remove takes only --user and --dry-run');
  const user = values.user === true;
  const places: Places = {
    user,
    unitDir: unitDirOf(io, user),
    systemdRuns: existsSync(io.env[RUN_DIR_ENV] || '/run/systemd/system'),
  };
  const dryRun = values['dry-run'] === true;
  try {
    if (action === 'install') return await install(term, places, renewArgv(values.dir ?? defaultDir(io), values['credentials-dir']), dryRun);
    return await remove(term, places, dryRun);
  } catch (error) {
    term.say(`${term.red('Failed:')} ${(error as Error).message}`);
    return EXIT.failed;
  }
}

/** The command the service runs: this node, this certwizard, absolute paths (a service has no PATH or working folder of ours). */
function renewArgv(dir: string, credentialsDir: string | undefined): string[] {
  const bin = fileURLToPath(new URL('../bin/certwizard.js', import.meta.url));
  return [process.execPath, bin, 'renew', '--dir', resolve(dir), ...(credentialsDir === undefined ? [] : ['--credentials-dir', resolve(credentialsDir)])];
}

/**
 * One ExecStart word, quoted as systemd.service(5) "Command lines" reads it: plain when safe,
 * else in double quotes with `\` and `"` escaped; `%` is a specifier and `$` a variable to
 * systemd, so both are doubled.
 */
export function systemdWord(word: string): string {
  if (/[\n\r]/.test(word)) throw new UsageError('a path with a line break cannot go into a unit file');
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_@+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The two unit files' text. */
export function unitFiles(argv: readonly string[], user: boolean): { service: string; timer: string } {
  const service = `# Written by certwizard timer install; certwizard timer remove deletes it.
[Unit]
Description=certwizard: renew the certificates that are due
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=${argv.map(systemdWord).join(' ')}
${user ? '' : 'PrivateTmp=true\n'}`;
  const timer = `# Written by certwizard timer install; certwizard timer remove deletes it.
[Unit]
Description=certwizard: run certwizard renew twice a day

[Timer]
# As certbot's timer: twice a day, each run at a random point of the next 12 hours, so that
# machines set up at the same time do not all reach the CA at once; a run missed while the
# machine was off happens when it is back.
OnCalendar=*-*-* 00,12:00:00
RandomizedDelaySec=43200
Persistent=true

[Install]
WantedBy=timers.target
`;
  return { service, timer };
}

/**
 * The crontab line of a machine without systemd: twice a day, 12 hours apart, at a random minute
 * and hour drawn once now (the randomness systemd's RandomizedDelaySec gives).
 */
export function cronLine(argv: readonly string[]): string {
  const minute = randomInt(60);
  const hour = randomInt(12);
  const quoted = argv.map((word) => (/^[A-Za-z0-9_@+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`));
  // cron turns % into a newline: escape it.
  return `${minute} ${hour},${hour + 12} * * * ${quoted.join(' ').replace(/%/g, '\\%')}`;
}

async function install(term: Terminal, places: Places, argv: string[], dryRun: boolean): Promise<number> {
  const { io } = term;
  if (!argv.includes('--credentials-dir'))
    term.say(term.dim('Note: without --credentials-dir, renew reads the CA token from the OS keychain, which a service usually cannot reach.'));
  if (!places.systemdRuns) {
    term.say(`systemd does not run here: nothing was written. Add this line to ${places.user ? 'your' : "root's"} crontab (crontab -e):`);
    io.stdout.write(`${cronLine(argv)}\n`);
    return EXIT.ok;
  }
  const { service, timer } = unitFiles(argv, places.user);
  const files = [
    { path: join(places.unitDir, SERVICE_UNIT), text: service },
    { path: join(places.unitDir, TIMER_UNIT), text: timer },
  ];
  const commands = [['daemon-reload'], ['enable', '--now', TIMER_UNIT]];
  if (dryRun) {
    for (const file of files) io.stdout.write(`# ${file.path}\n${file.text}\n`);
    for (const command of commands) io.stdout.write(`would run: ${systemctlArgv(places, command).join(' ')}\n`);
    return EXIT.ok;
  }
  await mkdir(places.unitDir, { recursive: true, mode: 0o755 });
  for (const file of files) {
    await writeAtomically(file.path, file.text);
    io.stdout.write(`${file.path}\n`);
  }
  for (const command of commands) await systemctl(places, command);
  term.say(`${term.green('Enabled')} ${TIMER_UNIT}: certwizard renew runs twice a day (systemctl${places.user ? ' --user' : ''} list-timers shows when next).`);
  return EXIT.ok;
}

async function remove(term: Terminal, places: Places, dryRun: boolean): Promise<number> {
  const { io } = term;
  const files = [join(places.unitDir, TIMER_UNIT), join(places.unitDir, SERVICE_UNIT)];
  const present = files.filter((path) => existsSync(path));
  if (dryRun) {
    if (places.systemdRuns) io.stdout.write(`would run: ${systemctlArgv(places, ['disable', '--now', TIMER_UNIT]).join(' ')}\n`);
    for (const path of present) io.stdout.write(`would delete: ${path}\n`);
    return EXIT.ok;
  }
  // Disabled first: a timer whose files are gone while it is enabled leaves a dangling link.
  if (places.systemdRuns && present.length > 0) await systemctl(places, ['disable', '--now', TIMER_UNIT]);
  for (const path of present) {
    await unlink(path);
    io.stdout.write(`deleted ${path}\n`);
  }
  if (places.systemdRuns && present.length > 0) await systemctl(places, ['daemon-reload']);
  if (present.length === 0)
    term.say(
      `No certwizard timer in ${places.unitDir}${places.systemdRuns ? '' : ' (no systemd here: remove the certwizard line from the crontab, crontab -e)'}.`,
    );
  else term.say(`${term.green('Removed')} the certwizard timer.`);
  return EXIT.ok;
}

function systemctlArgv(places: Places, args: readonly string[]): string[] {
  return ['systemctl', ...(places.user ? ['--user'] : []), ...args];
}

/** Runs systemctl with an argv (no shell), bounded in time; a failure says which call and what it printed. */
function systemctl(places: Places, args: readonly string[]): Promise<void> {
  const [program, ...rest] = systemctlArgv(places, args) as [string, ...string[]];
  return new Promise((done, fail) => {
    execFile(program, rest, { timeout: SYSTEMCTL_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (error === null) done();
      else fail(new Error(`${program} ${rest.join(' ')} failed: ${String(stderr).trim() || error.message}`));
    });
  });
}

/** A new file beside the target, fsynced, renamed over it: a reader sees the old unit or the new one. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${SERVICE_UNIT}.tmp-${randomBytes(6).toString('hex')}`);
  const handle = await open(tmp, 'wx', 0o644);
  try {
    await handle.writeFile(text);
    await handle.chmod(0o644);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** The folder the unit files go to: the environment's, else systemd's system or user folder. */
function unitDirOf(io: Pick<CliIo, 'env'>, user: boolean): string {
  return io.env[UNIT_DIR_ENV] || (user ? join(io.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'systemd', 'user') : '/etc/systemd/system');
}
