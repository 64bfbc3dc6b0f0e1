/**
 * `certwizard-ca scep-pin`: an operator makes a one-time SCEP PIN (RFC 8894 §2.3, the CSR's
 * challengePassword) for a device's admin, bound to DNS names and/or a subject. The PIN alone
 * goes to stdout (so `PIN=$(certwizard-ca scep-pin ...)` works), notes to stderr. Writes the
 * database directly, so it works while the CA serves.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgv } from './argv.js';
import { ConfigError } from './errors.js';
import { ScepPinService, SCEP_PIN_TTL_MS_MAX, SCEP_PIN_TTL_MS_MIN } from './scep/scep-pin-service.js';
import { ScepPinStore } from './scep/scep-pin-store.js';
import { DATABASE_FILE, openDatabase } from './store/database.js';
import { createSqlDatabase } from './store/sqlite-dialect.js';

/** The help text of the command. */
export const SCEP_PIN_HELP = `certwizard-ca scep-pin --data DIR [--dns NAME]... [--subject DN] [--ttl DURATION]

Makes a one-time SCEP PIN (the challengePassword of a SCEP request, RFC 8894) for the CA whose
database is in DIR, and prints the PIN alone on stdout; give it to the device's admin (e.g. as
certmonger's getcert -L). It lets exactly one SCEP request through, for the names given only,
until it expires; the CA keeps only its SHA-256. Works while the CA serves.

  --data DIR        the CA's data directory (its database)
  --dns NAME        a DNS name the request may ask for, repeatable; the request's names must
                    all be among them (case does not matter)
  --subject DN      the exact subject the request must have, RFC 4514 text ("CN=device1, O=Example")
  --ttl DURATION    how long the PIN stays usable: 30m, 1h, 7d (minutes, hours, days;
                    default 1h, at most 30d)

Give at least one --dns or a --subject. A usage error exits 2; a malformed name or subject exits 1.`;

const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A PIN lifetime: whole minutes, hours or days, 1 minute to 30 days.
 * @throws {ConfigError} `ERR_CA_CONFIG` for anything else.
 * @example
 * parseTtl('1h'); // 3600000
 */
export function parseTtl(text: string): number {
  const m = /^([1-9][0-9]{0,5})([mhd])$/.exec(text);
  const ms = m ? Number(m[1]) * (UNIT_MS[m[2] as string] as number) : NaN;
  if (!(ms >= SCEP_PIN_TTL_MS_MIN && ms <= SCEP_PIN_TTL_MS_MAX))
    throw new ConfigError(`--ttl wants a duration from 1m to 30d such as 30m, 1h or 7d, not ${text}`);
  return ms;
}

/**
 * Runs the command.
 * @returns the exit code (0); failures throw (ConfigError: usage, exit 2; ScepPinInputError ERR_SCEP_PIN_INVALID: exit 1).
 */
export async function scepPinCommand(
  argv: readonly string[],
  io: { readonly stdout: NodeJS.WritableStream; readonly stderr: NodeJS.WritableStream },
): Promise<number> {
  const opts = parseArgv(argv, [
    { name: 'data', arity: 1 },
    { name: 'dns', arity: 1, repeatable: true },
    { name: 'subject', arity: 1 },
    { name: 'ttl', arity: 1 },
  ]);
  const dataDir = opts.data as string | undefined;
  if (!dataDir) throw new ConfigError('--data DIR is required');
  // A typo in DIR must not create an empty database that no CA reads.
  if (!existsSync(join(dataDir, DATABASE_FILE)))
    throw new ConfigError(`no CA database in ${dataDir} (${DATABASE_FILE}); give the --data DIR the CA serves with`);
  const dnsNames = ((opts.dns as string[][] | undefined) ?? []).map(([name]) => name as string);
  const subject = opts.subject as string | undefined;
  if (dnsNames.length === 0 && subject === undefined)
    throw new ConfigError('give at least one --dns NAME or a --subject DN: a PIN is bound to the names it may be used for');
  const ttlMs = opts.ttl === undefined ? undefined : parseTtl(opts.ttl as string);
  const db = openDatabase(dataDir);
  try {
    const pins = new ScepPinService(new ScepPinStore(createSqlDatabase(db)));
    const { pin, expiresAt } = await pins.create({
      dnsNames,
      ...(subject !== undefined ? { subject } : {}),
      ...(ttlMs !== undefined ? { ttlMs } : {}),
      createdBy: 'cli',
    });
    io.stdout.write(`${pin}\n`);
    io.stderr.write(
      `certwizard-ca: a one-time SCEP PIN for ${[...dnsNames, ...(subject !== undefined ? [subject] : [])].join(', ')}, usable once until ${expiresAt.toISOString()}; give it to the device's admin only\n`,
    );
    return 0;
  } finally {
    db.close();
  }
}
