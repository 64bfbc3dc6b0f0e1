/**
 * Where the CA key's passphrase (and an operator's password) comes from: an environment variable
 * (CA_PASSPHRASE, OPERATOR_PASSWORD); else a prompt without echo when standard input is a
 * terminal; else a clear error. Never from argv
 * (visible in `ps`), never logged.
 */
import { PassphraseUnavailableError } from './errors.js';

/** What {@link obtainPassphrase} reads from; injectable for tests. */
export interface PassphraseSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin: NodeJS.ReadStream;
  readonly stderr: NodeJS.WriteStream;
}

/** What {@link obtainSecret} asks for: the variable it reads and the words it prompts with. */
export interface SecretSpec {
  /** Environment variable holding the secret, e.g. `CA_PASSPHRASE`. */
  readonly envName: string;
  /** What the secret is, for messages, e.g. `CA key passphrase`. */
  readonly label: string;
  /** The prompt, e.g. `CA key passphrase: `. */
  readonly prompt: string;
  /** The prompt of the confirmation, e.g. `Repeat the passphrase: `. */
  readonly repeatPrompt: string;
}

/**
 * Obtains a secret: from `spec.envName`, else a no-echo prompt on a terminal, else an error.
 * @param options.confirm - ask twice and require both to match.
 * @param options.signal - aborts a pending prompt.
 * @throws {PassphraseUnavailableError} `ERR_CA_PASSPHRASE_UNAVAILABLE` when there is no source,
 *   the answer is empty, or the confirmation differs.
 * @example
 * const password = await obtainSecret(io, { envName: 'OPERATOR_PASSWORD', label: 'operator password', prompt: 'Operator password: ', repeatPrompt: 'Repeat the password: ' }, { confirm: true });
 */
export async function obtainSecret(sources: PassphraseSources, spec: SecretSpec, options: { confirm?: boolean; signal?: AbortSignal } = {}): Promise<string> {
  const fromEnv = sources.env[spec.envName];
  if (fromEnv !== undefined) {
    if (fromEnv.length === 0) throw new PassphraseUnavailableError(`${spec.envName} is set but empty`);
    return fromEnv;
  }
  if (!sources.stdin.isTTY) {
    throw new PassphraseUnavailableError(`the ${spec.label} is needed: set ${spec.envName}, or run on a terminal to be asked for it`);
  }
  const first = await promptHidden(sources, spec.prompt, options.signal);
  if (first.length === 0) throw new PassphraseUnavailableError(`an empty ${spec.label} is not accepted`);
  if (options.confirm) {
    const second = await promptHidden(sources, spec.repeatPrompt, options.signal);
    if (second !== first) throw new PassphraseUnavailableError(`the two answers differ`);
  }
  return first;
}

/**
 * Obtains the passphrase.
 * @param options.confirm - ask twice and require both to match (when creating a key).
 * @param options.signal - aborts a pending prompt.
 * @throws {PassphraseUnavailableError} `ERR_CA_PASSPHRASE_UNAVAILABLE` when there is no source,
 *   the answer is empty, or the confirmation differs.
 */
export async function obtainPassphrase(sources: PassphraseSources, options: { confirm?: boolean; signal?: AbortSignal } = {}): Promise<string> {
  return obtainSecret(
    sources,
    {
      envName: 'CA_PASSPHRASE',
      label: 'CA key passphrase',
      prompt: 'CA key passphrase: ',
      repeatPrompt: 'Repeat the passphrase: ',
    },
    options,
  );
}

/** Reads one line from a TTY in raw mode, echoing nothing. */
function promptHidden(sources: PassphraseSources, question: string, signal?: AbortSignal): Promise<string> {
  const { stdin, stderr } = sources;
  return new Promise((resolve, reject) => {
    let answer = '';
    const wasRaw = stdin.isRaw;
    // Raw mode before the prompt: an answer typed as soon as the prompt shows must not be
    // echoed by the terminal (it was, now and then, when the prompt came first).
    stdin.setRawMode(true);
    stderr.write(question);
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
