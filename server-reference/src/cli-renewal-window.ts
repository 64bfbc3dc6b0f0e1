/**
 * `certwizard-ca renewal-window`: an operator sets the renewal window that the renewal
 * information of a certificate answers (`GET /api/renewal-info/:certId`, RFC 9773 §4.2), for one
 * certificate (`--serial`) or for every valid certificate issued before a time
 * (`--all-issued-before`), e.g. to pull renewals forward after a mis-issuance. Writes the
 * database directly, so it works while the CA serves; every CA process answers the new window at
 * once (nothing is cached).
 */
import { REVOCATION_SERIAL_PATTERN } from '@certwizard/protocol';
import { parseArgv } from './argv.js';
import { normalizeSerial } from './ca/serial.js';
import { CaError, ConfigError } from './errors.js';
import { openDatabase } from './store/database.js';
import { RenewalWindowStore } from './store/renewal-window-store.js';
import { createSqlDatabase } from './store/sqlite-dialect.js';

/** No certificate has the serial given to `renewal-window --serial`. */
export class UnknownCertificateError extends CaError {
  override readonly code = 'ERR_CA_UNKNOWN_CERTIFICATE';
}

/** The help text of the command. */
export const RENEWAL_WINDOW_HELP = `certwizard-ca renewal-window --data DIR (--serial HEX | --all-issued-before TIME) --start TIME --end TIME

Sets the renewal window that GET /api/renewal-info/:certId answers for one certificate, or for
every valid certificate issued before TIME (notBefore earlier), replacing the CA's default
(from 2/3 to 5/6 of the lifetime). Installations that ask renew at a random time in the window;
a window in the past means "renew now". Setting it again replaces it. Works while the CA serves.

  --data DIR                 the CA's data directory (its database)
  --serial HEX               the certificate's serial number in hex (as openssl x509 -serial prints it)
  --all-issued-before TIME   every valid certificate whose notBefore is before TIME
  --start TIME, --end TIME   the window; end after start (whole seconds)

TIME is an RFC 3339 date-time (2026-03-01T00:00:00Z), now, or now plus or minus an amount
of s, m, h or d (now+2h, now-30m, +7d). An unknown serial exits 1; a usage error exits 2.`;

/** Units of a relative time, in ms. */
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A TIME of the command: RFC 3339, `now`, or `now`/empty plus or minus `N{s,m,h,d}`, to whole seconds (rounded down).
 * @throws {ConfigError} `ERR_CA_CONFIG` for anything else.
 * @example
 * parseWindowTime('now+2h', Date.parse('2026-03-01T00:00:00Z')); // 2026-03-01T02:00:00Z
 */
export function parseWindowTime(text: string, nowMs: number, option: string): Date {
  const relative = /^(?:now)?(?:([+-])(\d{1,6})([smhd]))?$/.exec(text);
  let ms: number;
  if (text !== '' && relative !== null) {
    const [, sign, amount, unit] = relative;
    ms = nowMs + (sign === undefined ? 0 : (sign === '-' ? -1 : 1) * Number(amount) * (UNIT_MS[unit as string] as number));
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i.test(text) && !Number.isNaN(Date.parse(text.toUpperCase()))) {
    ms = Date.parse(text.toUpperCase());
  } else {
    throw new ConfigError(`${option} wants an RFC 3339 time (2026-03-01T00:00:00Z), now, or now+2h / now-30m / +7d, not ${text}`);
  }
  return new Date(ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * Runs the command.
 * @returns the exit code (0); failures throw (ConfigError: usage, exit 2; UnknownCertificateError: exit 1).
 */
export async function renewalWindowCommand(
  argv: readonly string[],
  io: { readonly stdout: NodeJS.WritableStream },
  nowMs: number = Date.now(),
): Promise<number> {
  const opts = parseArgv(argv, [
    { name: 'data', arity: 1 },
    { name: 'serial', arity: 1 },
    { name: 'all-issued-before', arity: 1 },
    { name: 'start', arity: 1 },
    { name: 'end', arity: 1 },
  ]);
  const dataDir = opts.data as string | undefined;
  const serial = opts.serial as string | undefined;
  const before = opts['all-issued-before'] as string | undefined;
  if (!dataDir) throw new ConfigError('--data DIR is required');
  if ((serial === undefined) === (before === undefined)) throw new ConfigError('give exactly one of --serial HEX and --all-issued-before TIME');
  if (serial !== undefined && (!REVOCATION_SERIAL_PATTERN.test(serial.replaceAll(':', '')) || /^0*$/.test(serial.replaceAll(':', '')))) {
    throw new ConfigError('--serial wants the serial number in hex, two digits per octet, at most 20 octets');
  }
  if (opts.start === undefined || opts.end === undefined) throw new ConfigError('--start TIME and --end TIME are required');
  const start = parseWindowTime(opts.start as string, nowMs, '--start');
  const end = parseWindowTime(opts.end as string, nowMs, '--end');
  if (end.getTime() <= start.getTime()) throw new ConfigError('--end must be after --start (by at least a second)');
  const issuedBefore = before === undefined ? undefined : parseWindowTime(before, nowMs, '--all-issued-before');
  const window = `${start.toISOString()} to ${end.toISOString()}`;
  const db = openDatabase(dataDir);
  try {
    const windows = new RenewalWindowStore(createSqlDatabase(db));
    if (issuedBefore !== undefined) {
      const count = await windows.setForIssuedBefore(issuedBefore, { start, end });
      io.stdout.write(`renewal window ${window} set for ${count} valid certificate${count === 1 ? '' : 's'} issued before ${issuedBefore.toISOString()}\n`);
      return 0;
    }
    // As the CA stores it: DER content octets, so openssl's 87654321 finds 0087654321.
    const serialHex = normalizeSerial((serial as string).replaceAll(':', ''));
    if ((await windows.set(serialHex, { start, end })) === 'not_found')
      throw new UnknownCertificateError(`no certificate with serial ${serialHex} in ${dataDir}`);
    io.stdout.write(`renewal window of ${serialHex} set: ${window}\n`);
    return 0;
  } finally {
    db.close();
  }
}
