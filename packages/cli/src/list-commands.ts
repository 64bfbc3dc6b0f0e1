/**
 * `certwizard list` and `certwizard status NAME`: every tracked certificate with its state,
 * names, expiry and days left, in the spirit of certmonger's `getcert list`. Read-only.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { listEnrollments, type EnrollmentSummary } from '@certwizard/sdk';
import { EXIT, UsageError } from './exit-codes.js';
import type { CliIo, Terminal } from './terminal.js';

/** Usage of `certwizard list`. */
export const LIST_USAGE = `usage: certwizard list [--dir DIR] [--json]

Lists every certificate certwizard tracks under DIR: its state, names, expiry, days left and
renewal (due from when, or 'renewal failed (CODE)').

options:
  --dir DIR   where certificates go (default: CERTWIZARD_DIR, else ~/.local/state/certwizard)
  --json      one JSON object per certificate and line
  --help      this text`;

/** Usage of `certwizard status`. */
export const STATUS_USAGE = `usage: certwizard status NAME [--dir DIR] [--json]

Shows one tracked certificate: state, CA, names, request, files, fingerprint and expiry.
Exit code 3 when NAME is not tracked.

options:
  --dir DIR   where certificates go (default: CERTWIZARD_DIR, else ~/.local/state/certwizard)
  --json      the same as one JSON object
  --help      this text`;

const OPTIONS = { dir: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } } as const;

/** The state column: what a person would call it. */
const STATE_WORDS: Record<string, string> = {
  'prepare-key': 'starting',
  register: 'registering',
  submit: 'requesting',
  'await-issue': 'waiting for approval',
  install: 'issued, installing',
  done: 'installed',
};

/** The state as a person reads it: `revoked DATE (reason)` once revoked, else the step in words. */
function stateWords(e: EnrollmentSummary): string {
  if (e.problem !== undefined) return 'unreadable state';
  if (e.revoked !== undefined) return `revoked ${e.revoked.revokedAt.toISOString().slice(0, 10)} (${e.revoked.reason})`;
  const words = STATE_WORDS[e.step] ?? e.step;
  // A renewal under way: the live certificate stays, the step is the new request's.
  return e.renewal?.renewing === true ? `installed, renewing: ${words}` : words;
}

/** The renewal column: `renewal failed (CODE)` after a failure, else from when it is due. */
function renewalWords(e: EnrollmentSummary): string {
  const r = e.renewal;
  if (r === undefined || e.revoked !== undefined) return '-';
  if (r.lastFailure !== undefined && r.failures > 0) return `renewal failed (${r.lastFailure.code})`;
  return r.dueAt === undefined ? '-' : `due ${r.dueAt.toISOString().slice(0, 10)}`;
}

/** The renewal in status' lines: when due and from what, the last failure and the next attempt, the names left out. */
function renewalLines(e: EnrollmentSummary): string[] {
  const r = e.renewal;
  if (r === undefined || e.revoked !== undefined) return [];
  return [
    ...(r.dueAt === undefined
      ? []
      : [`renewal       due from ${r.dueAt.toISOString()} (${r.dueSource === 'ca' ? "the CA's renewal window" : 'a third of the lifetime left'})`]),
    ...(r.lastFailure === undefined || r.failures === 0
      ? []
      : [
          `renewal failed (${r.lastFailure.message}, ${r.lastFailure.code}) at ${r.lastFailure.at}, ${r.failures} time(s) in a row${
            r.nextAttemptAt === undefined ? '' : `; next attempt after ${r.nextAttemptAt.toISOString()}`
          }`,
        ]),
    ...(r.droppedNames === undefined ? [] : [`left out      ${r.droppedNames.join(', ')} (the CA no longer certifies them for the account)`]),
  ];
}

/** The default certificate folder, as `enroll` uses it. */
export function defaultDir(io: CliIo): string {
  return io.env.CERTWIZARD_DIR ?? join(io.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'certwizard');
}

/** What one certificate looks like in both commands' JSON. */
function asJson(e: EnrollmentSummary, nowMs: number): Record<string, unknown> {
  return {
    name: e.name,
    state: e.problem !== undefined ? 'unreadable' : e.revoked !== undefined ? 'revoked' : e.step,
    caOrigin: e.caOrigin,
    names: [...e.names.email, ...e.names.dns],
    ...(e.requestId === undefined ? {} : { requestId: e.requestId }),
    ...(e.installed === undefined
      ? {}
      : {
          notAfter: e.installed.notAfter.toISOString(),
          daysLeft: daysLeft(e.installed.notAfter, nowMs),
          fingerprintSha256: e.installed.fingerprintSha256,
          paths: e.installed.paths,
        }),
    ...(e.problem === undefined ? {} : { problem: e.problem }),
    ...(e.revoked === undefined ? {} : { revoked: { ...e.revoked, revokedAt: e.revoked.revokedAt.toISOString() } }),
    ...(e.renewal === undefined
      ? {}
      : {
          renewal: {
            ...e.renewal,
            ...(e.renewal.dueAt === undefined ? {} : { dueAt: e.renewal.dueAt.toISOString() }),
            ...(e.renewal.nextAttemptAt === undefined ? {} : { nextAttemptAt: e.renewal.nextAttemptAt.toISOString() }),
          },
        }),
  };
}

const daysLeft = (notAfter: Date, nowMs: number) => Math.floor((notAfter.getTime() - nowMs) / 86_400_000);

/** Runs `certwizard list`. */
export async function listCommand(argv: string[], term: Terminal): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  if (values.help) {
    term.io.stdout.write(`${LIST_USAGE}\n`);
    return EXIT.ok;
  }
  const baseDir = values.dir ?? defaultDir(term.io);
  const all = await listEnrollments({ baseDir });
  const now = Date.now();
  if (values.json) {
    for (const e of all) term.io.stdout.write(`${JSON.stringify(asJson(e, now))}\n`);
    return EXIT.ok;
  }
  if (all.length === 0) {
    term.io.stdout.write(
      `No certificates tracked in ${baseDir} yet (certwizard enroll gets one; --dir DIR looks in the folder an installer or the wizard used).\n`,
    );
    return EXIT.ok;
  }
  // The folder goes to stderr: stdout stays the table, for scripts.
  term.say(`Certificates tracked in ${baseDir}:`);
  const rows = [
    ['NAME', 'STATE', 'NAMES', 'EXPIRES', 'DAYS LEFT', 'RENEWAL'],
    ...all.map((e) => [
      e.name,
      stateWords(e),
      [...e.names.email, ...e.names.dns].join(','),
      e.installed ? e.installed.notAfter.toISOString().slice(0, 10) : '-',
      e.installed ? String(daysLeft(e.installed.notAfter, now)) : '-',
      renewalWords(e),
    ]),
  ];
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length))) ?? [];
  for (const row of rows)
    term.io.stdout.write(
      `${row
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd()}\n`,
    );
  return EXIT.ok;
}

/** Runs `certwizard status NAME`. */
export async function statusCommand(argv: string[], term: Terminal): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  if (values.help) {
    term.io.stdout.write(`${STATUS_USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('status takes exactly one NAME');
  const name = positionals[0] as string;
  const found = (await listEnrollments({ baseDir: values.dir ?? defaultDir(term.io) })).find((e) => e.name === name);
  if (found === undefined) {
    term.say(`No certificate named ${name} is tracked here (certwizard list shows those that are).`);
    return EXIT.notFound;
  }
  const json = asJson(found, Date.now());
  if (values.json) {
    term.io.stdout.write(`${JSON.stringify(json)}\n`);
    return EXIT.ok;
  }
  const lines = [
    `name          ${found.name}`,
    `state         ${found.problem === undefined ? stateWords(found) : `unreadable: ${found.problem}`}`,
    ...(found.revoked === undefined
      ? []
      : [
          `revoked       ${found.revoked.revokedAt.toISOString()} (${found.revoked.reason}), serial ${found.revoked.serialHex}`,
          `moved to      ${found.revoked.movedTo}`,
        ]),
    `CA            ${found.caOrigin || '-'}`,
    `names         ${[...found.names.email, ...found.names.dns].join(', ') || '-'}`,
    ...(found.requestId === undefined ? [] : [`request       ${found.requestId}`]),
    ...(found.installed === undefined
      ? []
      : [
          `certificate   ${found.installed.paths.cert}`,
          `key           ${found.installed.paths.privkey}`,
          `full chain    ${found.installed.paths.fullchain}`,
          `SHA-256       ${found.installed.fingerprintSha256}`,
          `expires       ${found.installed.notAfter.toISOString()} (${json.daysLeft as number} days left)`,
        ]),
    ...renewalLines(found),
    `updated       ${found.updatedAt.toISOString()}`,
  ];
  term.io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
