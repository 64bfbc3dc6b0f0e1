/**
 * The `certwizard-ca` command as a real process: create-identity, adopting an openssl-made
 * identity, passphrase sources, serve on port 0, and SIGTERM finishing requests in flight.
 */
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCsr, generateKeyPair, parseCertificateChain } from '@certwizard/pki';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, collect, REPO_ROOT, runBin, startServe, type ServeProcess } from './support/run-bin.js';

const PASS = 'correct horse battery staple 42';

let dir: string;
let serving: ServeProcess | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-cli-'));
});
afterEach(async () => {
  await serving?.stop();
  serving = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function openssl(args: string[], env: Record<string, string> = {}): string {
  return execFileSync('openssl', args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function putCsr(url: string, pem: string) {
  const res = await fetch(`${url}/api/csr/cli`, {
    method: 'PUT',
    headers: { 'content-type': 'application/x-pem-file' },
    body: pem,
  });
  return { status: res.status, json: (await res.json()) as { signed_x509_pem?: string } };
}

describe('create-identity', () => {
  it('writes the four files, the key encrypted and 0600, with the subject and validity asked for', async () => {
    const id = join(dir, 'id');
    const r = await runBin(['create-identity', '--dir', id, '-f', 'C', 'US', '-f', 'O', 'Example Org', '-f', 'CN', 'Example CA', '-v', '3', '--key', 'p256'], {
      env: { CA_PASSPHRASE: PASS },
    });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(PASS);
    expect(r.stdout).toContain('  subject     C=US, O=Example Org, CN=Example CA\n');
    for (const f of ['ca.cert.pem', 'ca.csr.pem', 'ca.private_key.pem', 'ca.public_key.pem']) {
      expect(statSync(join(id, f)).isFile()).toBe(true);
    }
    expect(statSync(join(id, 'ca.private_key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(id, 'ca.private_key.pem'), 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    openssl(['pkey', '-in', join(id, 'ca.private_key.pem'), '-passin', 'env:P', '-noout'], { P: PASS });
    expect(() => openssl(['pkey', '-in', join(id, 'ca.private_key.pem'), '-passin', 'env:P', '-noout'], { P: 'wrong' })).toThrow();
    const subject = openssl(['x509', '-in', join(id, 'ca.cert.pem'), '-noout', '-subject', '-startdate', '-enddate']);
    expect(subject).toContain('subject=C = US, O = Example Org, CN = Example CA');
    const start = new Date(/notBefore=(.*)/.exec(subject)?.[1] as string);
    const end = new Date(/notAfter=(.*)/.exec(subject)?.[1] as string);
    expect(end.getUTCFullYear() - start.getUTCFullYear()).toBe(3);
    openssl(['req', '-in', join(id, 'ca.csr.pem'), '-verify', '-noout']);
    expect(openssl(['verify', '-CAfile', join(id, 'ca.cert.pem'), join(id, 'ca.cert.pem')])).toContain('OK');
  });

  it('asks for the passphrase twice on a terminal, without echo', async () => {
    const id = join(dir, 'id');
    // `script` (util-linux) gives the command a real pseudo-terminal, as a person would have.
    const cmd = [process.execPath, BIN, 'create-identity', '--dir', id, '-f', 'CN', 'Tty CA', '--key', 'p256']
      .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
      .join(' ');
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: { PATH: process.env.PATH ?? '', TERM: 'dumb' } });
    let screen = '';
    const waitFor = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${text}" on the terminal: ${screen}`)), 15_000);
        const check = () => {
          if (!screen.includes(text)) return;
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve();
        };
        child.stdout.on('data', check);
        check();
      });
    child.stdout.on('data', (d) => {
      screen += d;
    });
    const exited = collect(child, 30_000);
    await waitFor('CA key passphrase:');
    child.stdin.write(`${PASS}\r`);
    await waitFor('Repeat the passphrase:');
    child.stdin.write(`${PASS}\r`);
    const result = await exited;
    expect(result.code).toBe(0);
    expect(screen).toContain('created the CA identity');
    expect(screen).not.toContain(PASS);
    openssl(['pkey', '-in', join(id, 'ca.private_key.pem'), '-passin', 'env:P', '-noout'], { P: PASS });
  });

  it('never overwrites an existing identity', async () => {
    const id = join(dir, 'id');
    const args = ['create-identity', '--dir', id, '-f', 'CN', 'First CA', '--key', 'p256'];
    expect((await runBin(args, { env: { CA_PASSPHRASE: PASS } })).code).toBe(0);
    const before = readFileSync(join(id, 'ca.cert.pem'), 'utf8');
    const again = await runBin(['create-identity', '--dir', id, '-f', 'CN', 'Second CA', '--key', 'p256'], {
      env: { CA_PASSPHRASE: PASS },
    });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds an identity/);
    expect(readFileSync(join(id, 'ca.cert.pem'), 'utf8')).toBe(before);
  });

  it('without CA_PASSPHRASE and without a terminal it exits non-zero with a clear message and writes nothing', async () => {
    const id = join(dir, 'id');
    const r = await runBin(['create-identity', '--dir', id, '-f', 'CN', 'X CA']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CA_PASSPHRASE/);
    expect(() => statSync(join(id, 'ca.cert.pem'))).toThrow();
  });

  it.each([
    { name: 'unknown subject field', args: ['-f', 'XX', 'y', '-f', 'CN', 'x'], want: /unknown subject field/ },
    { name: 'no CN', args: ['-f', 'O', 'y'], want: /needs a CN/ },
    { name: 'bad validity', args: ['-f', 'CN', 'x', '-v', '0'], want: /whole years/ },
    { name: 'unknown key type', args: ['-f', 'CN', 'x', '--key', 'dsa1024'], want: /--key must be/ },
    { name: '-f with one value', args: ['-f', 'CN'], want: /needs 2 values/ },
  ])('usage error: $name exits 2', async ({ args, want }) => {
    const r = await runBin(['create-identity', '--dir', join(dir, 'id'), ...args], { env: { CA_PASSPHRASE: PASS } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(want);
  });
});

describe('serve', () => {
  async function makeIdentity(): Promise<string> {
    const id = join(dir, 'id');
    const r = await runBin(['create-identity', '--dir', id, '-f', 'CN', 'Serve CA', '--key', 'p256'], {
      env: { CA_PASSPHRASE: PASS },
    });
    expect(r.code).toBe(0);
    return id;
  }

  it('listens on a free port, issues, and exits 0 on SIGTERM; the passphrase is never printed', async () => {
    const id = await makeIdentity();
    serving = await startServe(['serve', '--identity', id, '--data', join(dir, 'data'), '--listen', '127.0.0.1:0'], {
      env: { CA_PASSPHRASE: PASS },
    });
    expect(serving.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(serving.url).not.toMatch(/:0$/);
    const csr = createCsr({
      privateKey: generateKeyPair('p256').privateKey,
      subjectAltNames: { dns: ['a.example.test'] },
    });
    const res = await putCsr(serving.url, csr.pem);
    expect(res.status).toBe(200);
    const result = await serving.stop();
    serving = undefined;
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(PASS);
    // Structured logs: every stderr line is JSON.
    for (const line of result.stderr.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('finishes a request in flight when SIGTERM arrives', async () => {
    const id = await makeIdentity();
    const hooks = join(dir, 'slow-hooks.mjs');
    const entered = join(dir, 'presign-entered');
    // The hook says when the request is inside it, so SIGTERM is sent while it is in flight.
    writeFileSync(
      hooks,
      `import { writeFileSync } from 'node:fs';\nexport async function presign() { writeFileSync(${JSON.stringify(entered)}, ''); await new Promise((r) => setTimeout(r, 700)); }\n`,
    );
    serving = await startServe(['serve', '--identity', id, '--data', join(dir, 'data'), '--listen', '127.0.0.1:0', '--hooks', hooks], {
      env: { CA_PASSPHRASE: PASS },
    });
    const csr = createCsr({
      privateKey: generateKeyPair('p256').privateKey,
      subjectAltNames: { dns: ['slow.example.test'] },
    });
    const inFlight = putCsr(serving.url, csr.pem);
    for (let i = 0; i < 400 && !existsSync(entered); i++) await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(entered), 'the request never reached the presign hook').toBe(true);
    const stopped = serving.stop();
    serving = undefined;
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(parseCertificateChain(res.json.signed_x509_pem as string)[0]?.subjectAltNames.dns).toEqual(['slow.example.test']);
    expect((await stopped).code).toBe(0);
  });

  it('signs pings with --dkim-key, read at start and never printed; refuses a key that is not RSA', async () => {
    const id = await makeIdentity();
    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const keyFile = join(dir, 'dkim.pem');
    const badFile = join(dir, 'bad.pem');
    writeFileSync(keyFile, rsaPem, { mode: 0o600 });
    writeFileSync(badFile, ecPem, { mode: 0o600 });
    const args = (file: string) => [
      'serve',
      '--identity',
      id,
      '--data',
      join(dir, 'data'),
      '--listen',
      '127.0.0.1:0',
      '--ping-from',
      'ping@ca.test',
      '--dkim-selector',
      's1',
      '--dkim-key',
      file,
    ];
    const keyLines = (pem: string) => pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));

    const bad = await runBin(args(badFile), { env: { CA_PASSPHRASE: PASS } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--dkim-key ${badFile} must be an RSA key`);
    for (const line of keyLines(ecPem)) expect(bad.stdout + bad.stderr).not.toContain(line);

    serving = await startServe(args(keyFile), { env: { CA_PASSPHRASE: PASS } });
    const result = await serving.stop();
    serving = undefined;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('"dkimSigning":"s1._domainkey.ca.test"');
    for (const line of keyLines(rsaPem)) expect(result.stdout + result.stderr).not.toContain(line);
  });

  it('refuses to start without a passphrase for an encrypted key when there is no terminal', async () => {
    const id = await makeIdentity();
    const r = await runBin(['serve', '--identity', id, '--data', join(dir, 'data'), '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CA_PASSPHRASE/);
  });

  it('refuses a wrong passphrase with a clear message', async () => {
    const id = await makeIdentity();
    const r = await runBin(['serve', '--identity', id, '--data', join(dir, 'data'), '--listen', '127.0.0.1:0'], {
      env: { CA_PASSPHRASE: 'not the passphrase' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not be decrypted/);
    expect(r.stderr).not.toContain('not the passphrase');
  });

  it('adopts an identity made with the openssl CLI, encrypted or not', async () => {
    for (const encrypted of [false, true]) {
      const id = join(dir, `openssl-${encrypted}`);
      mkdirSync(id);
      openssl(
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-keyout',
          join(id, 'ca.private_key.pem'),
          '-out',
          join(id, 'ca.cert.pem'),
          '-days',
          '30',
          '-subj',
          '/CN=OpenSSL Made CA',
          ...(encrypted ? ['-passout', 'env:P'] : ['-noenc']),
          '-addext',
          'basicConstraints=critical,CA:TRUE',
          '-addext',
          'keyUsage=critical,keyCertSign,cRLSign',
        ],
        { P: PASS },
      );
      serving = await startServe(['serve', '--identity', id, '--data', join(dir, `data-${encrypted}`), '--listen', '127.0.0.1:0'], {
        env: encrypted ? { CA_PASSPHRASE: PASS } : {},
      });
      const csr = createCsr({
        privateKey: generateKeyPair('p256').privateKey,
        subjectAltNames: { dns: ['adopt.example.test'] },
      });
      const res = await putCsr(serving.url, csr.pem);
      expect(res.status).toBe(200);
      writeFileSync(join(dir, 'leaf.pem'), parseCertificateChain(res.json.signed_x509_pem as string)[0]?.pem as string);
      expect(openssl(['verify', '-CAfile', join(id, 'ca.cert.pem'), join(dir, 'leaf.pem')])).toContain('OK');
      expect((await serving.stop()).code).toBe(0);
      serving = undefined;
    }
  });

  it('--version prints the version; no command at all is a usage error (exit 2, usage on stderr)', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runBin([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`certwizard-ca ${manifest.version}\n`);
    }
    const none = await runBin([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('certwizard-ca serve --identity DIR --data DIR');
    const help = await runBin(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('certwizard-ca --version');
  });

  it('is runnable as `npx certwizard-ca` from the repository root', () => {
    const out = execFileSync('npx', ['--no-install', 'certwizard-ca', '--help'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(out).toContain('certwizard-ca create-identity');
    expect(out).toContain('certwizard-ca serve');
  });
});
