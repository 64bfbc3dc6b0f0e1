/**
 * `certwizard renew [NAME]`: renews every tracked certificate that is due (or NAME alone), as
 * `certbot renew` does, through the SDK's `renewDue()` / `renew()`, and says for each: not due
 * (until when), renewed, failed (why, what next). Meant for a timer (`certwizard timer install`):
 * it asks nothing without a terminal, and a certificate that is not due costs no request but the
 * CA's renewal window.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { confirm } from '@inquirer/prompts';
import { parseCertificate, parseCertificateChain, verifyChain } from '@certwizard/pki';
import {
  isInstallName,
  listEnrollments,
  renew,
  renewDue,
  type CredentialStore,
  type EnrollmentSummary,
  type NamesDroppedAnswer,
  type NamesDroppedQuestion,
  type RenewEvent,
  type RenewOutcome,
} from '@certwizard/sdk';
import { openCredentials } from './credentials-option.js';
import { EXIT, UsageError } from './exit-codes.js';
import { describeFailure } from './failure.js';
import { defaultDir } from './list-commands.js';
import { sslApiClientOf, SSL_API_CLIENT_ENV } from './ssl-api-client.js';
import type { Terminal } from './terminal.js';

/** Usage of `certwizard renew`. */
export const RENEW_USAGE = `usage: certwizard renew [NAME] [--force] [--json] [options]

Renews every certificate tracked under DIR that is due (or NAME alone), and says for each: not
due (until when), renewed, or failed (why, and when it is tried again). Due: from a point drawn
at random in the renewal window the CA advises, else in the last third of the lifetime (from two
thirds to five sixths). Each renewal makes a new key; the old certificate stays live until the
new one is installed. A failure is retried from one hour later, doubling up to a day.

options:
  --force               renew now, due or not, and even while a failure backs off
  --json                one JSON object per certificate and line on stdout; asks nothing
  --dir DIR             where certificates go (default: CERTWIZARD_DIR, else ~/.local/state/certwizard)
  --ca-cert FILE        the CA certificate(s) to trust (PEM); default: the CA certificate the
                        live certificate's chain led to when it was installed
  --credentials-dir DIR the file store the enrollment used instead of the OS keychain
  --client-file FILE    for an enrollment made with --method ssl-api whose client hash is not in
                        the credential store: the file holding it (or ${SSL_API_CLIENT_ENV})
  --wait SECONDS        how long to wait for a request the CA holds for approval (default 60);
                        the next run goes on waiting
  --help                this text

When the CA no longer certifies some names for the account, they are left out, and on a terminal
you are asked whether to revoke the certificate that still carries them once the renewed one is
live (default: no). Without a terminal, or with --json, it is never revoked.

exit codes: 0 every certificate renewed or not due, 1 one or more failed (the others were still
renewed), 2 bad usage, 3 NAME is not tracked, 130 interrupted.`;

const OPTIONS = {
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  dir: { type: 'string' },
  'ca-cert': { type: 'string' },
  'credentials-dir': { type: 'string' },
  'client-file': { type: 'string' },
  wait: { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** Default of `--wait`: a timer run does not hang on an owner who approves tomorrow. */
const DEFAULT_WAIT_SECONDS = 60;

/** Runs `certwizard renew [NAME]`; resolves with the exit code. */
export async function renewCommand(argv: string[], term: Terminal): Promise<number> {
  const { io } = term;
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  if (values.help) {
    io.stdout.write(`${RENEW_USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError('renew takes at most one NAME');
  const name = positionals[0];
  if (name !== undefined && !isInstallName(name)) throw new UsageError(`${name} is not a certificate name (certwizard list shows them)`);
  const waitSeconds = values.wait === undefined ? DEFAULT_WAIT_SECONDS : Number(values.wait);
  if (!Number.isSafeInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > 86_400) throw new UsageError('--wait: whole seconds, 0 to 86400');
  const json = values.json === true;
  const sslApiClient = sslApiClientOf(values['client-file'], io);
  let pinned: string | undefined;
  if (values['ca-cert'] !== undefined) {
    try {
      pinned = readFileSync(values['ca-cert'], 'utf8');
    } catch (error) {
      throw new UsageError(`--ca-cert ${values['ca-cert']}: cannot be read (${(error as { code?: string }).code ?? 'error'})`);
    }
  }
  const baseDir = values.dir ?? defaultDir(io);
  const emitJson = (event: Record<string, unknown>) => io.stdout.write(`${JSON.stringify(event)}\n`);

  let credentials: CredentialStore;
  try {
    credentials = await openCredentials(values['credentials-dir'], join(baseDir, 'credentials'), io, false);
  } catch (error) {
    const shown = describeFailure(error, {});
    if (json) emitJson({ type: 'error', ...(shown.code === undefined ? {} : { code: shown.code }), message: shown.message, hint: shown.hint });
    else term.say(`${term.red('Failed:')} ${shown.message}\n${shown.hint}`);
    return EXIT.failed;
  }

  const abort = new AbortController();
  const onSigint = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  const common = {
    baseDir,
    credentials,
    ...(values.force === true ? { force: true } : {}),
    ...(sslApiClient === undefined ? {} : { sslApiClient }),
    waiting: { timeoutMs: waitSeconds * 1000 },
    signal: abort.signal,
    onNamesDropped: (question: NamesDroppedQuestion) => askNamesDropped(question, term, json ? emitJson : undefined),
    onEvent: json ? undefined : (event: RenewEvent) => renderEvent(event, term),
  };
  try {
    let outcomes: RenewOutcome[];
    if (name === undefined) {
      outcomes = await renewDue({ ...common, trustAnchorsPem: (e) => pinned ?? anchorsOfLive(e) });
      if (outcomes.length === 0 && !json) term.say(`No certificates tracked in ${baseDir} (certwizard list shows them; --dir DIR looks in another folder).`);
    } else {
      const found = (await listEnrollments({ baseDir })).find((e) => e.name === name);
      if (found === undefined) {
        if (json) emitJson({ type: 'error', code: 'ERR_SDK_NOT_ENROLLED', message: `no certificate named ${name} is tracked in ${baseDir}` });
        term.say(`No certificate named ${name} is tracked in ${baseDir} (certwizard list shows those that are).`);
        return EXIT.notFound;
      }
      outcomes = [
        await Promise.resolve()
          .then(() => renew({ ...common, name, trustAnchorsPem: pinned ?? anchorsOfLive(found) }))
          .catch((error: unknown) => failed(name, error)),
      ];
    }
    term.stop();
    for (const outcome of outcomes) {
      if (json) emitJson(outcomeJson(outcome));
      else term.say(outcomeLine(outcome, term));
    }
    return outcomes.some((o) => o.status === 'failed') ? EXIT.failed : EXIT.ok;
  } catch (error) {
    if (abort.signal.aborted) {
      term.stop();
      term.say('Stopped; run certwizard renew again to continue.');
      return EXIT.interrupted;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** A renew() that threw (locked by another run, a state that cannot be read) as a failed outcome. */
function failed(name: string, error: unknown): RenewOutcome {
  const code = (error as { code?: unknown } | null)?.code;
  return { name, status: 'failed', error, code: typeof code === 'string' ? code : 'ERR_SDK', message: (error as Error).message ?? String(error), failures: 0 };
}

/**
 * The anchors to pin when `--ca-cert` is not given: the CA certificate at the end of the live
 * certificate's chain, as it verifies now (the enrollment checked that chain against the anchors
 * it was given before installing it). Only the end of the path is taken, not every certificate
 * the CA sent along, so that an extra self-signed certificate in a chain is never trusted.
 * @throws {CaCertNeededError} `ERR_CLI_CA_CERT_NEEDED` when there is none: `renewDue()` reports
 *   that certificate failed and goes on with the others.
 */
function anchorsOfLive(enrollment: EnrollmentSummary): string {
  const live = enrollment.installed;
  // Nothing live: renew() skips it without looking at the anchors.
  if (live === undefined) return '';
  const anchor = liveChainEnd(live.paths);
  if (anchor === undefined)
    throw new CaCertNeededError(
      `${enrollment.name}: its live chain names no CA certificate to pin; pass --ca-cert FILE (the CA certificate it was enrolled with)`,
    );
  return anchor;
}

/** The self-signed certificate the live chain leads to, if it leads to one. */
function liveChainEnd(paths: { readonly cert: string; readonly chain: string }): string | undefined {
  try {
    const leaf = parseCertificate(readFileSync(paths.cert, 'utf8'));
    const chain = parseCertificateChain(readFileSync(paths.chain, 'utf8'));
    const roots = chain.filter((c) => Buffer.from(c.subjectDer).equals(Buffer.from(c.issuerDer)));
    if (roots.length === 0) return undefined;
    // At a time every certificate involved was valid (a CA may backdate a leaf before its own start): the live one may have expired since.
    const at = new Date(Math.max(leaf.notBefore.getTime(), ...chain.map((c) => c.notBefore.getTime())));
    const path = verifyChain(leaf, { intermediates: chain, trustAnchors: roots, at });
    return path[path.length - 1]?.pem;
  } catch {
    return undefined;
  }
}

/** No `--ca-cert`, and the live chain leads to no CA certificate to pin: that certificate is not renewed. */
class CaCertNeededError extends Error {
  override readonly name = 'CaCertNeededError';
  readonly code = 'ERR_CLI_CA_CERT_NEEDED';
}

/**
 * The names-dropped question: on a terminal, asked (default no); otherwise never revoked, and
 * with --json the question is reported.
 */
async function askNamesDropped(
  question: NamesDroppedQuestion,
  term: Terminal,
  emitJson: ((event: Record<string, unknown>) => void) | undefined,
): Promise<NamesDroppedAnswer> {
  if (emitJson !== undefined || !term.interactive) {
    const event = { type: 'names-dropped-question', name: question.name, droppedNames: question.droppedNames, serialHex: question.serialHex, answer: 'keep' };
    if (emitJson !== undefined) emitJson(event);
    else
      term.say(
        `${question.name}: the CA no longer certifies ${question.droppedNames.join(', ')} for your account; the renewal leaves them out. The certificate ${question.serialHex} that still carries them is kept (run certwizard renew on a terminal to be asked, or certwizard revoke).`,
      );
    return 'keep';
  }
  term.stop();
  term.say(
    `${term.bold(question.name)}: the CA no longer certifies ${question.droppedNames.join(', ')} for your account; the renewed certificate leaves them out.`,
  );
  const revoke = await confirm(
    {
      message: `Revoke the current certificate (serial ${question.serialHex}), which still carries them, once the renewed one is live?`,
      default: false,
    },
    { input: term.io.stdin, output: term.io.stderr },
  );
  return revoke ? 'revoke' : 'keep';
}

/** Progress on a terminal: the renewals that start, and the waits. */
function renderEvent(event: RenewEvent, term: Terminal): void {
  if (event.type === 'renewal-due') term.spin(`Renewing ${event.name}${event.resumed ? ' (continuing)' : ''}`);
  if (event.type === 'flow' && event.event.type === 'enrollment' && event.event.event.type === 'pending')
    term.spin(`Renewing ${event.name}: waiting for approval of request ${event.event.event.requestId} at the CA`);
  if (event.type === 'dropped-revoked') term.say(`${event.name}: the replaced certificate ${event.serialHex} was revoked (cessationOfOperation)`);
}

const day = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');

/** One outcome, for a person. */
function outcomeLine(outcome: RenewOutcome, term: Terminal): string {
  const { name } = outcome;
  switch (outcome.status) {
    case 'not-due':
      return `${name}: not due until ${day(outcome.dueAt)} UTC (${outcome.dueSource === 'ca' ? "the CA's renewal window" : 'a third of its lifetime left'})`;
    case 'renewed':
      return `${term.green(`${name}: renewed`)}, expires ${day(outcome.installed.notAfter)} UTC (${outcome.installed.paths.cert})${
        outcome.droppedNames === undefined ? '' : `; left out: ${outcome.droppedNames.join(', ')}`
      }${outcome.revokedSerialHex === undefined ? '' : `; the replaced certificate ${outcome.revokedSerialHex} was revoked`}`;
    case 'backing-off':
      return `${name}: renewal failed earlier${outcome.lastFailure === undefined ? '' : ` (${outcome.lastFailure.message}, ${outcome.lastFailure.code})`}; next attempt after ${day(outcome.nextAttemptAt)} UTC (--force tries now)`;
    case 'pending':
      return `${name}: the new request${outcome.requestId === undefined ? '' : ` ${outcome.requestId}`} waits for approval at the CA; the current certificate stays live, run certwizard renew again later`;
    case 'failed': {
      const shown = describeFailure(outcome.error, {});
      const next = outcome.nextAttemptAt === undefined ? '' : ` Tried again after ${day(outcome.nextAttemptAt)} UTC (--force tries now).`;
      return `${term.red(`${name}: renewal failed:`)} ${shown.message} (${outcome.code}). The current certificate stays live. ${shown.hint}${next}`;
    }
    case 'skipped':
      return `${name}: skipped: ${outcome.message}`;
  }
}

/** One outcome as a JSON line: the error as its code and message, dates as ISO 8601. */
function outcomeJson(outcome: RenewOutcome): Record<string, unknown> {
  const base = { type: 'outcome', name: outcome.name, status: outcome.status };
  switch (outcome.status) {
    case 'not-due':
      return { ...base, dueAt: outcome.dueAt.toISOString(), dueSource: outcome.dueSource };
    case 'renewed':
      return {
        ...base,
        notAfter: outcome.installed.notAfter.toISOString(),
        fingerprintSha256: outcome.installed.fingerprintSha256,
        previousSerialHex: outcome.previousSerialHex,
        paths: outcome.installed.paths,
        ...(outcome.droppedNames === undefined ? {} : { droppedNames: outcome.droppedNames }),
        ...(outcome.revokedSerialHex === undefined ? {} : { revokedSerialHex: outcome.revokedSerialHex }),
      };
    case 'backing-off':
      return {
        ...base,
        nextAttemptAt: outcome.nextAttemptAt.toISOString(),
        ...(outcome.lastFailure === undefined ? {} : { lastFailure: outcome.lastFailure }),
      };
    case 'pending':
      return { ...base, ...(outcome.requestId === undefined ? {} : { requestId: outcome.requestId }) };
    case 'failed': {
      const shown = describeFailure(outcome.error, {});
      return {
        ...base,
        code: outcome.code,
        message: shown.message,
        hint: shown.hint,
        failures: outcome.failures,
        ...(outcome.nextAttemptAt === undefined ? {} : { nextAttemptAt: outcome.nextAttemptAt.toISOString() }),
      };
    }
    case 'skipped':
      return { ...base, reason: outcome.reason, message: outcome.message };
  }
}
