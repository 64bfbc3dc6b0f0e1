/**
 * `certwizard-ca add-operator`, run in-process through runCli with injected streams: the
 * password from OPERATOR_PASSWORD or a no-echo terminal prompt (never argv), a clear failure
 * without either, and a refused duplicate; failures create nobody.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OperatorService } from './accounts/operator-service.js';
import { OperatorStore } from './accounts/operator-store.js';
import { type CliIo, runCli } from './cli.js';
import { openDatabase } from './store/database.js';
import { createSqlDatabase } from './store/sqlite-dialect.js';

const PASSWORD = 'operator password 1';

let dir: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-operator-'));
});
afterEach(async () => {
  rmSync(dir, { recursive: true, force: true });
});

/** Streams for runCli; `tty` makes stdin look like a terminal that types `typed` once prompted. */
function io(env: Record<string, string>, options: { tty?: boolean; typed?: string[] } = {}) {
  let out = '';
  let err = '';
  const stdin = Object.assign(new PassThrough(), { isTTY: options.tty ?? false, isRaw: false, setRawMode: () => stdin });
  const typed = [...(options.typed ?? [])];
  const stderr = new PassThrough();
  stderr.on('data', (d: Buffer) => {
    err += d.toString();
    // Answer each prompt as a person at the terminal would.
    if (/: $/.test(d.toString()) && typed.length > 0) setImmediate(() => stdin.write(`${typed.shift() as string}\r`));
  });
  const stdout = new PassThrough();
  stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const cliIo = { env, stdin, stdout, stderr, stopRequested: new Promise<void>(() => {}) } as unknown as CliIo;
  return { cliIo, out: () => out, err: () => err };
}

async function withOperators<T>(fn: (operators: OperatorService) => Promise<T>): Promise<T> {
  const db = openDatabase(dir);
  try {
    return await fn(new OperatorService(new OperatorStore(createSqlDatabase(db)), { scryptN: 2 ** 10 }));
  } finally {
    db.close();
  }
}

describe('add-operator', () => {
  it('creates an operator from OPERATOR_PASSWORD and refuses the same address again', async () => {
    const first = io({ OPERATOR_PASSWORD: PASSWORD });
    expect(await runCli(['add-operator', '--data', dir, '--email', 'ops@ca.example'], first.cliIo)).toBe(0);
    expect(first.out()).toBe('created operator ops@ca.example; log in at /operator/login\n');
    expect(first.out() + first.err()).not.toContain(PASSWORD);
    await withOperators((ops) => expect(ops.authenticate('OPS@ca.example', PASSWORD)).resolves.toMatchObject({ email: 'ops@ca.example' }));

    const again = io({ OPERATOR_PASSWORD: PASSWORD });
    expect(await runCli(['add-operator', '--data', dir, '--email', 'Ops@CA.example'], again.cliIo)).toBe(1);
    expect(again.err()).toBe('certwizard-ca: an operator Ops@CA.example already exists\n');
    expect(await withOperators((ops) => ops.exists('ops@ca.example'))).toBe(true);
  });

  it('asks twice on a terminal, without echo', async () => {
    const t = io({}, { tty: true, typed: [PASSWORD, PASSWORD] });
    expect(await runCli(['add-operator', '--data', dir, '--email', 'ops@ca.example'], t.cliIo)).toBe(0);
    expect(t.err()).toBe('Operator password: \nRepeat the password: \n');
    await withOperators((ops) => expect(ops.authenticate('ops@ca.example', PASSWORD)).resolves.toMatchObject({ id: 1 }));
  });

  it.each([
    { name: 'no password source', args: ['--email', 'ops@ca.example'], env: {}, want: 1, stderr: /set OPERATOR_PASSWORD, or run on a terminal/ },
    {
      name: 'an empty OPERATOR_PASSWORD',
      args: ['--email', 'ops@ca.example'],
      env: { OPERATOR_PASSWORD: '' },
      want: 1,
      stderr: /OPERATOR_PASSWORD is set but empty/,
    },
    { name: 'no --email', args: [], env: { OPERATOR_PASSWORD: PASSWORD }, want: 2, stderr: /--email ADDRESS is required/ },
  ])('fails with $name and creates nobody', async ({ args, env, want, stderr }) => {
    const r = io(env);
    expect(await runCli(['add-operator', '--data', dir, ...args], r.cliIo)).toBe(want);
    expect(r.err()).toMatch(stderr);
    expect(await withOperators((ops) => ops.exists('ops@ca.example'))).toBe(false);
  });

  it('refuses different answers on a terminal and creates nobody', async () => {
    const t = io({}, { tty: true, typed: [PASSWORD, 'something else'] });
    expect(await runCli(['add-operator', '--data', dir, '--email', 'ops@ca.example'], t.cliIo)).toBe(1);
    expect(await withOperators((ops) => ops.exists('ops@ca.example'))).toBe(false);
  });
});
