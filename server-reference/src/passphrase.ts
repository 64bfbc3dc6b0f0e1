/**
 * Where the CA key's passphrase comes from: the CA_PASSPHRASE environment variable; else a
 * prompt without echo when standard input is a terminal; else a clear error. Never from argv
 * (visible in `ps`), never logged.
 */
import { PassphraseUnavailableError } from './errors.js';

/** What {@link obtainPassphrase} reads from; injectable for tests. */
export interface PassphraseSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin: NodeJS.ReadStream;
  readonly stderr: NodeJS.WriteStream;
}

/**
 * Obtains the passphrase.
 * @param options.confirm - ask twice and require both to match (when creating a key).
 * @param options.signal - aborts a pending prompt.
 * @throws {PassphraseUnavailableError} `ERR_CA_PASSPHRASE_UNAVAILABLE` when there is no source,
 *   the answer is empty, or the confirmation differs.
 */
export async function obtainPassphrase(
  sources: PassphraseSources,
  options: { confirm?: boolean; signal?: AbortSignal } = {},
): Promise<string> {
  const fromEnv = sources.env.CA_PASSPHRASE;
  if (fromEnv !== undefined) {
    if (fromEnv.length === 0) throw new PassphraseUnavailableError('CA_PASSPHRASE is set but empty');
    return fromEnv;
  }
  if (!sources.stdin.isTTY) {
    throw new PassphraseUnavailableError(
      'the CA key passphrase is needed: set CA_PASSPHRASE, or run on a terminal to be asked for it',
    );
  }
  const first = await promptHidden(sources, 'CA key passphrase: ', options.signal);
  if (first.length === 0) throw new PassphraseUnavailableError('an empty passphrase is not accepted');
  if (options.confirm) {
    const second = await promptHidden(sources, 'Repeat the passphrase: ', options.signal);
    if (second !== first) throw new PassphraseUnavailableError('the two passphrases differ');
  }
  return first;
}

/** Reads one line from a TTY in raw mode, echoing nothing. */
function promptHidden(sources: PassphraseSources, question: string, signal?: AbortSignal): Promise<string> {
  const { stdin, stderr } = sources;
  stderr.write(question);
  return new Promise((resolve, reject) => {
    let answer = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (err?: unknown) => {
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stdin.off('data', onData);
      signal?.removeEventListener('abort', onAbort);
      stderr.write('\n');
      if (err) reject(err);
      else resolve(answer);
    };
    const onAbort = () => finish(signal?.reason);
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new PassphraseUnavailableError('cancelled'));
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    stdin.on('data', onData);
  });
}
