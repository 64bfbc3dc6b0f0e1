/**
 * `certwizard-ca scep-pin` through the built CLI: the PIN alone on stdout, only its SHA-256
 * stored with its names and expiry, notes on stderr without the PIN; usage errors exit 2,
 * refused names exit 1, and neither stores anything.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/store/database.js';
import { runBin } from './support/run-bin.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'certwizard-scep-pin-cli-'));
  openDatabase(dir).close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const pinsIn = () => {
  const db = openDatabase(dir);
  try {
    return db
      .prepare('SELECT digest, account_id, dns_names_json, subject, created_by, created_at_ms, expires_at_ms, used_at_ms FROM scep_pins')
      .all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
};

describe('certwizard-ca scep-pin', () => {
  it('prints the PIN alone on stdout and stores only its SHA-256, bound to the names, for the TTL', async () => {
    const before = Date.now();
    const res = await runBin([
      'scep-pin',
      '--data',
      dir,
      '--dns',
      'Device1.Example.org',
      '--dns',
      'device1-alt.example.org',
      '--subject',
      'cn=device1.example.org',
      '--ttl',
      '7d',
    ]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^[A-Za-z0-9_-]{24}\n$/);
    const pin = res.stdout.trim();
    expect(res.stderr).toContain('usable once until');
    expect(res.stderr).not.toContain(pin);
    const rows = pinsIn();
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, number | string | null>;
    expect(row).toMatchObject({
      digest: createHash('sha256').update(pin).digest('hex'),
      account_id: null,
      dns_names_json: '["device1.example.org","device1-alt.example.org"]',
      subject: 'CN=device1.example.org',
      created_by: 'cli',
      used_at_ms: null,
    });
    expect((row.expires_at_ms as number) - (row.created_at_ms as number)).toBe(7 * 86_400_000);
    expect(row.created_at_ms as number).toBeGreaterThanOrEqual(before);
  });

  it('defaults to one hour', async () => {
    expect((await runBin(['scep-pin', '--data', dir, '--dns', 'a.example.org'])).code).toBe(0);
    const row = pinsIn()[0] as Record<string, number>;
    expect(row.expires_at_ms - row.created_at_ms).toBe(3_600_000);
  });

  it('refuses bad input with a clear line, storing nothing', async () => {
    const cases: [string[], number, RegExp][] = [
      [['--data', dir], 2, /at least one --dns NAME or a --subject DN/],
      [['--dns', 'a.example.org'], 2, /--data DIR is required/],
      [['--data', join(dir, 'nope'), '--dns', 'a.example.org'], 2, /no CA database in/],
      [['--data', dir, '--dns', 'a.example.org', '--ttl', '31d'], 2, /--ttl wants a duration from 1m to 30d/],
      [['--data', dir, '--dns', 'a.example.org', '--ttl', '1w'], 2, /--ttl wants/],
      [['--data', dir, '--dns', 'not a name'], 1, /not a DNS name/],
      [['--data', dir, '--subject', 'XX=1'], 1, /the subject is not RFC 4514 text/],
      [['--data', dir, '--dns', 'a.example.org', '--pin', 'x'], 2, /--pin/],
    ];
    for (const [args, code, message] of cases) {
      const res = await runBin(['scep-pin', ...args]);
      expect({ args, code: res.code, stdout: res.stdout }).toEqual({ args, code, stdout: '' });
      expect(res.stderr).toMatch(message);
    }
    expect(pinsIn()).toEqual([]);
  });

  it('has --help text', async () => {
    const res = await runBin(['scep-pin', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('certwizard-ca scep-pin --data DIR [--dns NAME]... [--subject DN] [--ttl DURATION]');
    expect((await runBin(['--help'])).stdout).toContain('certwizard-ca scep-pin');
  });
});
