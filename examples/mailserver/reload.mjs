#!/usr/bin/env node
/**
 * `examplemail reload`: tells the running ExampleMail to load its certificate again, the way
 * `postfix reload` and `doveadm reload` do: SIGHUP to the process whose id is in the pid file.
 * The installer gives it to the SDK as the post-install command (`reloadCommand()` of
 * mail-server.mjs), so a certificate is served as soon as it is live, first install and renewal
 * alike.
 *
 *   node examples/mailserver/reload.mjs PIDFILE
 *
 * Exit 0 when the signal was sent, and also when ExampleMail is not running (no pid file, or a
 * pid file left by a crash): it reads the live certificate when it starts, so there is nothing to
 * reload, and a non-zero exit would make the SDK switch the new certificate back. Exit 1 when the
 * pid file is not a process id or the signal cannot be sent (another user's process).
 *
 * Like any pid file, one left by a crash may name a process that took the same id since; the
 * server removes its pid file when it stops, which keeps that to a crash followed by reuse.
 */
import { readFile } from 'node:fs/promises';

const [pidFile] = process.argv.slice(2);
if (pidFile === undefined) {
  process.stderr.write('usage: reload.mjs PIDFILE\n');
  process.exit(2);
}

const notRunning = () => process.stdout.write('ExampleMail is not running; it loads the installed certificate when it starts.\n');

let text;
try {
  text = await readFile(pidFile, 'utf8');
} catch (error) {
  if (error?.code !== 'ENOENT') throw error;
  notRunning();
  process.exit(0);
}
const pid = Number(text.trim());
if (!Number.isSafeInteger(pid) || pid <= 0 || !/^\d+$/.test(text.trim())) {
  process.stderr.write(`reload: ${pidFile} does not hold a process id\n`);
  process.exit(1);
}
try {
  process.kill(pid, 'SIGHUP');
  process.stdout.write(`ExampleMail (pid ${pid}) asked to reload its certificate.\n`);
} catch (error) {
  if (error?.code !== 'ESRCH') {
    process.stderr.write(`reload: cannot signal ExampleMail (pid ${pid}): ${error?.code ?? error}\n`);
    process.exit(1);
  }
  notRunning();
}
