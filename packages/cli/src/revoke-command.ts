/**
 * `certwizard revoke NAME`: the CA revokes the live certificate of a tracked enrollment and its
 * live files are moved aside (the SDK's `revoke()`). A revocation cannot be undone, so a person
 * confirms it on a terminal after reading what happens; without a terminal only `--yes` goes on.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { confirm } from '@inquirer/prompts';
import { parseCertificate } from '@certwizard/pki';
import { isInstallName, listEnrollments, REVOCATION_REASONS, revoke, type CredentialStore, type RevocationReasonName, type RevokeEvent } from '@certwizard/sdk';
import { openCredentials } from './credentials-option.js';
import { EXIT, UsageError } from './exit-codes.js';
import { describeFailure } from './failure.js';
import { defaultDir } from './list-commands.js';
import { sslApiClientOf, SSL_API_CLIENT_ENV } from './ssl-api-client.js';
import type { Terminal } from './terminal.js';

/** Usage of `certwizard revoke`. */
export const REVOKE_USAGE = `usage: certwizard revoke NAME [--reason REASON] [--yes] [--json] [options]

Asks the CA to revoke the live certificate NAME (it is listed on the CA's revocation list at
once), then moves DIR/live/NAME aside to DIR/revoked/NAME-SERIAL: a server configured with
DIR/live/NAME/ no longer finds it; nothing is deleted. certwizard list then shows it revoked.
Asks for confirmation on a terminal; without one, --yes is required. Run again after a failure
or an interruption: it finishes what is left.

options:
  --reason REASON       ${REVOCATION_REASONS.join(', ')} (default: unspecified);
                        keyCompromise when anyone else may have the private key
  --yes                 do not ask for confirmation
  --json                one JSON event per line on stdout (needs --yes)
  --dir DIR             where certificates go (default: CERTWIZARD_DIR, else ~/.local/state/certwizard)
  --credentials-dir DIR the file store the enrollment used instead of the OS keychain
  --client-file FILE    for an enrollment made with --method ssl-api whose client hash is not in
                        the credential store: the file holding it (or ${SSL_API_CLIENT_ENV})
  --help                this text

exit codes: 0 revoked (or it was before), 1 failed or not confirmed (run it again: what was
done is kept), 2 bad usage (also: no terminal and no --yes), 3 NAME is not tracked,
130 interrupted.`;

const OPTIONS = {
  reason: { type: 'string' },
  yes: { type: 'boolean' },
  json: { type: 'boolean' },
  dir: { type: 'string' },
  'credentials-dir': { type: 'string' },
  'client-file': { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** Runs `certwizard revoke NAME`; resolves with the exit code. */
export async function revokeCommand(argv: string[], term: Terminal): Promise<number> {
  const { io } = term;
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  if (values.help) {
    io.stdout.write(`${REVOKE_USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('revoke takes exactly one NAME');
  const name = positionals[0] as string;
  if (!isInstallName(name)) throw new UsageError(`${name} is not a certificate name (certwizard list shows them)`);
  const reason = values.reason ?? 'unspecified';
  if (!(REVOCATION_REASONS as readonly string[]).includes(reason)) throw new UsageError(`--reason: one of ${REVOCATION_REASONS.join(', ')}`);
  const json = values.json === true;
  if (!values.yes && !term.interactive) throw new UsageError('a revocation cannot be undone: without a terminal to confirm on, pass --yes');
  if (json && !values.yes) throw new UsageError('--json needs --yes (a revocation cannot be undone, and --json asks nothing)');
  const sslApiClient = sslApiClientOf(values['client-file'], io);
  // revoke() (as install()) takes an absolute folder; --dir may be given relative.
  const baseDir = resolve(values.dir ?? defaultDir(io));
  const emitJson = (event: Record<string, unknown>) => io.stdout.write(`${JSON.stringify(event)}\n`);
  const fail = (error: unknown, caUrl?: string): number => {
    term.stop();
    const shown = describeFailure(error, caUrl === undefined ? {} : { caUrl });
    if (json) emitJson({ type: 'error', ...(shown.code === undefined ? {} : { code: shown.code }), message: shown.message, hint: shown.hint });
    else term.say(`${term.red('Failed:')} ${shown.message}${shown.code ? term.dim(` (${shown.code})`) : ''}\n${shown.hint}`);
    return EXIT.failed;
  };

  const found = (await listEnrollments({ baseDir })).find((e) => e.name === name);
  if (found === undefined) {
    if (json) emitJson({ type: 'error', code: 'ERR_SDK_NOT_ENROLLED', message: `no certificate named ${name} is tracked in ${baseDir}` });
    term.say(`No certificate named ${name} is tracked in ${baseDir} (certwizard list shows those that are).`);
    return EXIT.notFound;
  }
  if (!values.yes) {
    const lines = confirmationLines(found, reason, baseDir, name);
    for (const line of lines) term.say(line);
    const go = await confirm({ message: `Revoke ${name}? This cannot be undone.`, default: false }, { input: io.stdin, output: io.stderr });
    if (!go) {
      term.say('Nothing was revoked.');
      return EXIT.failed;
    }
  }

  let credentials: CredentialStore;
  try {
    credentials = await openCredentials(values['credentials-dir'], join(baseDir, 'credentials'), io, false);
  } catch (error) {
    return fail(error);
  }
  const abort = new AbortController();
  const onSigint = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  try {
    if (!json) term.spin(`Asking ${found.caOrigin} to revoke ${name}`);
    const result = await revoke({
      baseDir,
      name,
      reason: reason as RevocationReasonName,
      credentials,
      ...(sslApiClient === undefined ? {} : { sslApiClient }),
      signal: abort.signal,
      onEvent: json
        ? (event: RevokeEvent) => emitJson(event as unknown as Record<string, unknown>)
        : (event: RevokeEvent) => {
            if (event.type === 'revoking-with-secret') term.spin(`Revoking ${name} with the revocation secret the CA gave with it (${event.reason})`);
            if (event.type === 'revoking-with-key') term.spin(`Revoking ${name} by proving possession of its private key (${event.reason})`);
          },
    });
    term.stop();
    if (json) {
      emitJson({ type: 'result', ...result, revokedAt: result.revokedAt.toISOString() });
    } else {
      const when = result.alreadyDone ? ' (by an earlier run)' : result.caStatus === 'already_revoked' ? ' (the CA had revoked it before)' : '';
      term.say(`${term.green('Revoked')}${when}: ${name}, serial ${result.serialHex} (${result.reason}), at ${result.revokedAt.toISOString()}`);
      term.say(`  files moved to  ${result.movedTo}`);
      term.say(`  The CA's revocation list names it now. For a new certificate (a new key): certwizard enroll --name ${name} again.`);
    }
    return EXIT.ok;
  } catch (error) {
    const code = fail(error, found.caOrigin);
    return abort.signal.aborted ? EXIT.interrupted : code;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** What the person reads before confirming: which certificate, and what will happen. */
function confirmationLines(found: Awaited<ReturnType<typeof listEnrollments>>[number], reason: string, baseDir: string, name: string): string[] {
  const live = found.installed;
  let serial = '-';
  if (live !== undefined) {
    try {
      serial = parseCertificate(readFileSync(live.paths.cert, 'utf8')).serialNumberHex;
    } catch {
      // Shown as unknown; revoke() itself reads the live set with all its checks.
    }
  }
  return [
    `About to revoke the certificate ${name}:`,
    `  names     ${live?.names.join(', ') ?? [...found.names.email, ...found.names.dns].join(', ')}`,
    `  serial    ${serial}`,
    `  CA        ${found.caOrigin}`,
    `  reason    ${reason}`,
    ...(live === undefined ? [] : [`  expires   ${live.notAfter.toISOString()}`]),
    `The CA will list it as revoked (clients checking it will refuse it from then on), and`,
    `${join(baseDir, 'live', name)} will be moved to ${join(baseDir, 'revoked')}/${name}-${serial}: a server`,
    `configured with it stops finding it. Nothing is deleted.`,
  ];
}
