/**
 * `npm start`: install and build, then run the local development stack in the foreground.
 *
 * Today the stack is the reference CA in dev mode, which creates `.certwizard/` defaults on its
 * first run and prints its URLs. The mail server and the installer wizard join by adding rows to
 * SERVICES. All services share this terminal; Ctrl-C or SIGTERM stops them all, and when one
 * exits the others are stopped too, since a half-running stack only misleads.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { ensureInstalled, repoRoot } from './lib/ensure-installed.mjs';

/**
 * What `npm start` runs, in this order, each from the repository root with inherited stdio.
 * `entry` is the built file that must exist after `tsc -b`, checked first for a clear error.
 * @type {{ name: string, entry: string, args: string[] }[]}
 */
const SERVICES = [{ name: 'reference CA', entry: 'server-reference/dist/bin.js', args: ['dev'] }];

/** @param {string} message */
const log = (message) => process.stderr.write(`[start] ${message}\n`);

async function main() {
  await ensureInstalled({ log });
  for (const service of SERVICES) {
    if (!existsSync(join(repoRoot, service.entry))) {
      throw new Error(`${service.name}: ${service.entry} was not built; is its source in tsconfig.json's references?`);
    }
  }

  const children = SERVICES.map((service) => {
    const child = spawn(process.execPath, [service.entry, ...service.args], { cwd: repoRoot, stdio: 'inherit' });
    return {
      service,
      child,
      exit: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    };
  });

  // Forward each signal once to every child that is still running. In a terminal Ctrl-C also
  // reaches the children directly (same process group), as it does under `npm run`, so a
  // service must treat a repeated SIGINT as the same request to stop.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }

  const first = await Promise.race(children.map(({ service, exit }) => exit.then((how) => ({ service, ...how }))));
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all(children.map(({ exit }) => exit));

  if (first.signal) log(`${first.service.name} stopped by ${first.signal}`);
  else if (first.code !== 0) log(`${first.service.name} exited with status ${first.code}`);
  // A child killed by a signal exits us with 128 + its number, as a shell reports it.
  process.exitCode = first.signal ? 128 + (constants.signals[first.signal] ?? 0) : (first.code ?? 1);
}

main().catch((error) => {
  log(error?.message ?? String(error));
  process.exitCode = 1;
});
