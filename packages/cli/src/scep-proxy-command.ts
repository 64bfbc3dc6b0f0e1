/**
 * `certwizard scep-proxy`: the SDK's SCEP proxy (startScepProxy) on the command line, for network
 * gear that speaks only SCEP. It runs until interrupted (Ctrl-C, SIGTERM), forwarding each
 * device's request over the CA's API with this installation's token for the owner to approve.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startScepProxy, type CredentialStore, type ScepProxyEvent } from '@certwizard/sdk';
import { openCredentials } from './credentials-option.js';
import { EXIT, UsageError } from './exit-codes.js';
import { describeFailure } from './failure.js';
import { defaultDir } from './list-commands.js';
import type { Terminal } from './terminal.js';

/** Usage of `certwizard scep-proxy`. */
export const SCEP_PROXY_USAGE = `usage: certwizard scep-proxy --listen HOST:PORT --ca URL [options]

Answers SCEP (RFC 8894) at http://HOST:PORT/scep for devices that speak only SCEP, and forwards
each device's certificate request to the CA with this installation's token (enroll once with the
cacert method first): the request waits until the account's owner approves it on the account
page; the device's next poll then gets its certificate. Runs until Ctrl-C or SIGTERM.
Prints the SCEP URL and the SHA-256 fingerprints of the proxy's RA and of the CA certificate,
for the device's operator to compare.

options:
  --listen HOST:PORT    where devices reach the proxy (127.0.0.1 or ::1 unless --allow-network)
  --ca URL              the CA the installation token belongs to
  --allow-network       listen on a non-loopback address: anyone on that network can then queue
                        requests (each still waits for the owner's approval)
  --ca-fingerprint HEX  the CA certificate's SHA-256 as its operator published it; without it the
                        certificate fetched on first start is pinned
  --state-dir DIR       the proxy's RA key, pinned CA certificate and queue (default:
                        DIR/scep-proxy under --dir)
  --dir DIR             certwizard's folder (default: CERTWIZARD_DIR, else ~/.local/state/certwizard)
  --credentials-dir DIR the file store holding the installation token (default: the OS keychain)
  --json                one JSON event per line on stdout
  --help                this text`;

const OPTIONS = {
  listen: { type: 'string' },
  ca: { type: 'string' },
  'allow-network': { type: 'boolean' },
  'ca-fingerprint': { type: 'string' },
  'state-dir': { type: 'string' },
  dir: { type: 'string' },
  'credentials-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

/** `HOST:PORT` (`[v6]:PORT` for IPv6) as host and port. */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port > 65_535) throw new UsageError('--listen takes HOST:PORT, e.g. 127.0.0.1:8080');
  return { host: (match[1] ?? match[2]) as string, port };
}

/** Runs `certwizard scep-proxy`; resolves with the exit code once stopped. */
export async function scepProxyCommand(argv: string[], term: Terminal): Promise<number> {
  const { io } = term;
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  if (values.help) {
    io.stdout.write(`${SCEP_PROXY_USAGE}\n`);
    return EXIT.ok;
  }
  if (values.listen === undefined) throw new UsageError('--listen HOST:PORT is required');
  if (values.ca === undefined) throw new UsageError('--ca URL is required');
  const { host, port } = parseListen(values.listen);
  const caUrl = values.ca;
  if (!URL.canParse(caUrl)) throw new UsageError('--ca takes the CA URL');
  const fingerprint = values['ca-fingerprint'];
  if (fingerprint !== undefined && !/^[0-9a-fA-F]{64}$/.test(fingerprint.replaceAll(':', '')))
    throw new UsageError('--ca-fingerprint takes a SHA-256 fingerprint: 64 hex digits, colons allowed');
  const json = values.json === true;
  const baseDir = resolve(values.dir ?? defaultDir(io));
  const stateDir = resolve(values['state-dir'] ?? join(baseDir, 'scep-proxy'));
  const emitJson = (event: Record<string, unknown>) => io.stdout.write(`${JSON.stringify(event)}\n`);
  const fail = (error: unknown): number => {
    term.stop();
    const shown = describeFailure(error, { caUrl });
    if (json) emitJson({ type: 'error', ...(shown.code === undefined ? {} : { code: shown.code }), message: shown.message, hint: shown.hint });
    else term.say(`${term.red('Failed:')} ${shown.message}${shown.code ? term.dim(` (${shown.code})`) : ''}\n${shown.hint}`);
    return EXIT.failed;
  };

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let credentials: CredentialStore;
    try {
      credentials = await openCredentials(values['credentials-dir'], join(baseDir, 'credentials'), io, false);
    } catch (error) {
      return fail(error);
    }
    const onEvent = (event: ScepProxyEvent) => {
      if (json) return emitJson({ ...event, type: `proxy-${event.type}` });
      if (event.type === 'forwarded' || event.type === 'polled')
        term.say(
          `${event.type === 'forwarded' ? 'Forwarded' : 'Polled'} device transaction ${event.transactionId}: ${event.status}${event.requestId === '' ? '' : ` (request ${event.requestId})`}`,
        );
      else if (event.type === 'refused') term.say(`Refused a device message: ${event.reason}`);
      else if (event.type === 'ca-failed') term.say(`The CA could not be asked for transaction ${event.transactionId}: ${event.message}`);
    };
    if (values['allow-network'] === true && !json)
      term.say(`${term.red('Warning:')} listening on ${host}: anyone on that network can queue certificate requests (each waits for the owner's approval).`);
    let proxy;
    try {
      proxy = await startScepProxy({
        caUrl,
        credentials,
        stateDir,
        host,
        port,
        allowNonLoopback: values['allow-network'] === true,
        ...(fingerprint === undefined ? {} : { caFingerprintSha256: fingerprint }),
        onEvent,
        signal: stop.signal,
      });
    } catch (error) {
      return fail(error);
    }
    if (json) emitJson({ type: 'listening', url: proxy.url, raSha256: proxy.fingerprints.raSha256, caSha256: proxy.fingerprints.caSha256 });
    else {
      io.stdout.write(`${proxy.url}\n`);
      term.say(`SCEP proxy for ${new URL(caUrl).origin} at ${proxy.url}`);
      term.say(`  RA certificate SHA-256: ${colonHex(proxy.fingerprints.raSha256)}`);
      term.say(`  CA certificate SHA-256: ${colonHex(proxy.fingerprints.caSha256)}`);
      term.say('Ctrl-C stops it; the queue is kept for the next start.');
    }
    await new Promise<void>((resolveStopped) => {
      if (stop.signal.aborted) resolveStopped();
      stop.signal.addEventListener('abort', () => resolveStopped(), { once: true });
    });
    await proxy.close();
    if (json) emitJson({ type: 'stopped' });
    else term.say('Stopped.');
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A SHA-256 in colon form (`AB:CD:...`), as `openssl x509 -fingerprint -sha256` prints it and CA operators publish it. */
export function colonHex(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}
