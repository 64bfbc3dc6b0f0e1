/**
 * `certwizard-ca dev`: the embedded development defaults (identity, passphrase file, database
 * created on first run, reused after), and `--smtp` / `--ping-from` to relay its mail (pings
 * included) to a local mail server, as `npm start` does, the dev mailbox keeping a copy.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { postForm, registrationFields } from './support/registration-client.js';
import { startServe, type ServeProcess } from './support/run-bin.js';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.js';

let dir: string | undefined;
let ca: ServeProcess | undefined;
let sink: SmtpSink | undefined;
afterEach(async () => {
  await ca?.stop();
  await sink?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  ca = undefined;
  sink = undefined;
  dir = undefined;
});

describe('certwizard-ca dev', () => {
  it('creates its defaults once, and relays mail with --smtp from the --ping-from address', async () => {
    dir = mkdtempSync(join(tmpdir(), 'certwizard-dev-'));
    sink = await startSmtpSink();
    const args = ['dev', '--dir', join(dir, 'ca'), '--listen', '127.0.0.1:0', '--smtp', sink.relay, '--ping-from', 'ping@dev.example'];
    ca = await startServe(args);
    // The banner follows the `listening on` line: wait for its last line, not for a time.
    await ca.waitForStdout('Ctrl-C stops the CA.');
    expect(ca.output().stdout).toContain('created a development CA identity');
    expect(ca.output().stdout).toContain(`mail relay      ${sink.relay} (the dev mailbox keeps a copy)`);
    expect(statSync(join(dir, 'ca', 'passphrase')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, 'ca', 'data'))).toBe(true);

    const nonce = 'N'.repeat(43);
    const res = await postForm(`${ca.url}/index.php?id=1`, { ...registrationFields({ EmailAddress: 'postmaster@mail.example' }), PingNonce: nonce });
    expect(res.status).toBe(200);
    const ping = sink.latest('postmaster@mail.example');
    expect(ping.mailFrom).toBe('ping@dev.example');
    expect(ping.parsed.headers.get('x-certwizard-ping-nonce')).toBe(nonce);
    // The dev mailbox keeps a copy for the developer.
    const copies = (await (await fetch(`${ca.url}/dev/mailbox.json?to=postmaster%40mail.example`)).json()) as Array<{ subject: string }>;
    expect(copies).toHaveLength(1);

    // A second start reuses the identity.
    await ca.stop();
    ca = await startServe(args);
    await ca.waitForStdout('Ctrl-C stops the CA.');
    expect(ca.output().stdout).not.toContain('created a development CA identity');
  });
});
