#!/usr/bin/env node
/** Entry point of `certwizard-ca`: wires the real process into {@link runCli}. */
import { runCli } from './cli.js';

const stopRequested = new Promise<void>((resolve) => {
  process.once('SIGTERM', () => resolve());
  process.once('SIGINT', () => resolve());
});

runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  stopRequested,
}).then(
  (code) => {
    process.exitCode = code;
    // Nothing else should keep the process alive once the command is done.
    setImmediate(() => process.exit(code)).unref();
  },
  (err: unknown) => {
    process.stderr.write(`certwizard-ca: unexpected failure: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
