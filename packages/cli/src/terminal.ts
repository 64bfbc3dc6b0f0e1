/**
 * The terminal the commands talk to: streams, environment, colours (only on a terminal, never
 * with NO_COLOR set, per no-color.org) and a spinner for waits that prints plain lines when the
 * output is not a terminal (logs, pipes, CI).
 */
import type { Readable, Writable } from 'node:stream';

/** The process's streams and environment, injectable for tests. */
export interface CliIo {
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

/** Colours and the spinner, as this terminal allows them. */
export interface Terminal {
  readonly io: CliIo;
  /** Whether stdin and stderr are a terminal a person can answer prompts on. */
  readonly interactive: boolean;
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly green: (text: string) => string;
  readonly red: (text: string) => string;
  /** Writes a line to stderr (progress and messages; stdout is for results). */
  say(line: string): void;
  /** Shows `text` with a spinner until the next `say`, `spin` or `stop`. */
  spin(text: string): void;
  /** Stops the spinner, leaving its line. */
  stop(): void;
}

const FRAMES = ['|', '/', '-', '\\'];
const SPIN_INTERVAL_MS = 120;

/** Builds the terminal of `io`. */
export function terminal(io: CliIo): Terminal {
  const tty = io.stderr.isTTY === true;
  // no-color.org: present and not empty disables colour.
  const colour = tty && (io.env.NO_COLOR ?? '') === '';
  const paint = (code: number, reset: number) => (text: string) => (colour ? `\u001b[${code}m${text}\u001b[${reset}m` : text);
  let timer: NodeJS.Timeout | undefined;
  let current = '';
  const clear = () => {
    if (timer === undefined) return;
    clearInterval(timer);
    timer = undefined;
    io.stderr.write(`\r\u001b[2K${current}\n`);
  };
  return {
    io,
    interactive: io.stdin.isTTY === true && tty,
    bold: paint(1, 22),
    dim: paint(2, 22),
    green: paint(32, 39),
    red: paint(31, 39),
    say(line) {
      clear();
      io.stderr.write(`${line}\n`);
    },
    spin(text) {
      clear();
      current = text;
      if (!tty) {
        io.stderr.write(`${text}\n`);
        return;
      }
      let frame = 0;
      io.stderr.write(`${FRAMES[0]} ${text}`);
      timer = setInterval(() => {
        frame = (frame + 1) % FRAMES.length;
        io.stderr.write(`\r\u001b[2K${FRAMES[frame]} ${text}`);
      }, SPIN_INTERVAL_MS);
      timer.unref();
    },
    stop: clear,
  };
}
