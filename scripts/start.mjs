/**
 * `npm start`: install and build, then run the main job in the foreground: the certwizard demo
 * (examples/mailserver/demo.mjs), which starts ExampleMail with the mail hook, the reference CA on
 * its development defaults (state under `.certwizard/`) relaying its mail to ExampleMail, and
 * ExampleMail's installer as the browser wizard; it opens the wizard when there is a display and
 * prints every URL. Arguments after `npm start --` go to the demo (`--no-browser`, `--dir`,
 * `--ca-port`, `--wizard-port`). All services share this terminal; Ctrl-C or SIGTERM stops them
 * all, and when one exits the others are stopped too, since a half-running stack only misleads.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { ensureInstalled, repoRoot } from './lib/ensure-installed.mjs';

/**
 * What `npm start` runs, in this order, each from the repository root with inherited stdio.
 * `entry` is the script to run and `built` the files it needs from the build, checked first for a
 * clear error.
 * @type {{ name: string, entry: string, args: string[], built?: string[] }[]}
 */
const SERVICES = [
  {
    name: 'certwizard demo (ExampleMail, the reference CA, the installer wizard)',
    entry: 'examples/mailserver/demo.mjs',
    args: process.argv.slice(2),
    built: ['server-reference/dist/bin.js', 'packages/wizard/dist/index.js', 'wizard-ui/dist/index.html', 'packages/mail-hook/dist/index.js'],
  },
];

/** @param {string} message */
const log = (message) => process.stderr.write(`[start] ${message}\n`);

async function main() {
  await ensureInstalled({ log });
  for (const service of SERVICES) {
    for (const file of [service.entry, ...(service.built ?? [])]) {
      if (!existsSync(join(repoRoot, file)))
        throw new Error(`${service.name}: ${file} is missing after the build; is its source in tsconfig.json's references?`);
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
