/**
 * Test support: a certificate's status as OpenSSL (the `openssl` 3 command line) sees it, from a
 * running CA: `openssl ocsp` against `/ocsp` (RFC 6960) and `openssl crl` on `GET /crl`
 * (RFC 5280 §5). Any test of a revocation path (account page, proof of possession, revocation
 * secret, operator) checks the outcome with these, so that a second, independent implementation
 * reads what the CA publishes, not our own parsers.
 *
 * Every call runs `openssl` with an argv array (never a shell), in a fresh temporary directory
 * that is removed afterwards, bounded by `timeoutMs`.
 */
import type { RevocationReason } from '@certwizard/pki';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * CRLReason names (RFC 5280 §5.3.1), as `@certwizard/pki` spells them, and removeFromCRL, which
 * openssl can print though a CA of ours never writes it.
 */
export type OpensslRevocationReason = RevocationReason | 'removeFromCRL';

/** What {@link opensslOcspStatus} read from the responder. */
export interface OpensslOcspStatus {
  /** The certificate's status (RFC 6960 §2.2). */
  readonly status: 'good' | 'revoked' | 'unknown';
  /** For `revoked`: when, as the responder said. */
  readonly revokedAt?: Date;
  /** For `revoked` with a reason: the reason (RFC 5280 §5.3.1 name). */
  readonly reason?: OpensslRevocationReason;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  /** openssl's `Response verify OK`: signed by the CA key, and the nonce (when sent) echoed. */
  readonly verified: boolean;
  /** thisUpdate is not in the future and nextUpdate not in the past, by the real clock (within `validityPeriodSeconds`). */
  readonly timesValid: boolean;
  /** The HTTP `Cache-Control` of a GET (absent for POST, which openssl sends itself). */
  readonly cacheControl?: string;
  /** openssl's stdout and stderr, for a failing assertion's message. */
  readonly output: string;
}

/** Options of {@link opensslOcspStatus}. */
export interface OpensslOcspOptions {
  /** The CA's base URL (`TestCa.url`); the responder is `${caUrl}/ocsp`. */
  readonly caUrl: string;
  /** The CA certificate, PEM (issuer and trust anchor). */
  readonly caPem: string;
  /** The certificate to ask about, PEM. */
  readonly certPem: string;
  /**
   * `POST` (default): openssl sends the request itself. `GET`: openssl writes the request
   * (`-reqout`), this helper GETs `${caUrl}/ocsp/{url-encoded base64}` (RFC 6960 Appendix A.1)
   * and openssl reads the answer (`-respin`); there is no nonce then.
   */
  readonly method?: 'POST' | 'GET';
  /** Send a nonce (RFC 8954) and require it echoed; default true for POST (openssl's default). */
  readonly nonce?: boolean;
  /** The CertID hash (`-sha1`, `-sha256`); default SHA-1 as openssl sends. */
  readonly certIdHash?: 'sha1' | 'sha256';
  /** openssl's leeway for thisUpdate/nextUpdate against the real clock (`-validity_period`); default 300. */
  readonly validityPeriodSeconds?: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** One entry of a CRL as `openssl crl -text` prints it. */
export interface OpensslCrlEntry {
  /** Lower-case hex of the INTEGER content octets (as `Certificate.serialNumberHex`). */
  readonly serialHex: string;
  readonly revokedAt: Date;
  /** The reasonCode entry extension; absent when the CRL leaves it out (unspecified). */
  readonly reason?: OpensslRevocationReason;
}

/** What {@link opensslCrlEntries} read from `GET /crl`. */
export interface OpensslCrl {
  readonly crlNumber: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** Entries by serial (lower-case hex, as {@link OpensslCrlEntry.serialHex}). */
  readonly entries: ReadonlyMap<string, OpensslCrlEntry>;
  /** openssl's `verify OK` against the CA certificate. */
  readonly verified: boolean;
  /** openssl's output, for a failing assertion's message. */
  readonly output: string;
}

/** Options of {@link opensslCrlEntries}. */
export interface OpensslCrlOptions {
  /** The CA's base URL; the CRL is `${caUrl}/crl`. */
  readonly caUrl: string;
  /** The CA certificate, PEM, to verify the CRL's signature with. */
  readonly caPem: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 20_000;

/** openssl's CRL reason texts (crypto/x509/v3_enum.c) and OCSP reason texts (ocsp_prn.c). */
const REASONS: ReadonlyMap<string, OpensslRevocationReason> = new Map(
  (
    [
      ['Unspecified', 'unspecified'],
      ['Key Compromise', 'keyCompromise'],
      ['CA Compromise', 'cACompromise'],
      ['Affiliation Changed', 'affiliationChanged'],
      ['Superseded', 'superseded'],
      ['Cessation Of Operation', 'cessationOfOperation'],
      ['Certificate Hold', 'certificateHold'],
      ['Remove From CRL', 'removeFromCRL'],
      ['Privilege Withdrawn', 'privilegeWithdrawn'],
      ['AA Compromise', 'aACompromise'],
    ] as const
  ).flatMap(([text, name]) => [
    [text.toLowerCase(), name],
    [name.toLowerCase(), name],
  ]),
);

function reasonOf(text: string | undefined): OpensslRevocationReason | undefined {
  if (text === undefined) return undefined;
  const reason = REASONS.get(text.trim().toLowerCase());
  if (!reason) throw new Error(`openssl printed an unknown reason ${JSON.stringify(text)}`);
  return reason;
}

/** openssl prints times as `Dec  7 23:14:50 2026 GMT`. */
function dateOf(text: string | undefined, what: string, output: string): Date {
  const date = new Date(text ?? '');
  if (text === undefined || Number.isNaN(date.getTime())) throw new Error(`openssl printed no ${what}:\n${output}`);
  return date;
}

/** openssl prints a serial's magnitude in upper-case hex; certificates carry INTEGER content octets. */
function serialHexOf(printed: string): string {
  let hex = printed.replace(/:/g, '').toLowerCase();
  if (hex.length % 2) hex = `0${hex}`;
  return Number.parseInt(hex.slice(0, 2), 16) & 0x80 ? `00${hex}` : hex;
}

/** Runs openssl with `args` in `cwd`; resolves with its exit code and output (never rejects on a non-zero exit). */
function openssl(args: readonly string[], cwd: string, timeoutMs: number, signal?: AbortSignal): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile('openssl', [...args], { cwd, timeout: timeoutMs, ...(signal ? { signal } : {}), encoding: 'utf8' }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (error && typeof error.code !== 'number') reject(new Error(`openssl ${args[0]} failed to run: ${error.message}\n${output}`));
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, output });
    });
  });
}

async function inTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'certwizard-openssl-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Asks the CA's OCSP responder about a certificate with `openssl ocsp` and verifies the answer
 * against the CA certificate (signature, and the nonce when one was sent). openssl also checks
 * the answer's times against the real clock, with 5 minutes of leeway (`validityPeriodSeconds`
 * changes it): after `TestCa.advanceClock` past that, `timesValid` is false; the status and
 * `verified` are read as ever.
 * @throws {Error} when openssl cannot run, or prints no status for the certificate.
 * @example
 * const { status, reason } = await opensslOcspStatus({ caUrl: ca.url, caPem: ca.caCertPem, certPem });
 */
export async function opensslOcspStatus(options: OpensslOcspOptions): Promise<OpensslOcspStatus> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const method = options.method ?? 'POST';
  return inTempDir(async (dir) => {
    await writeFile(join(dir, 'ca.pem'), options.caPem);
    await writeFile(join(dir, 'cert.pem'), options.certPem);
    const base = [
      '-issuer',
      'ca.pem',
      ...(options.certIdHash ? [`-${options.certIdHash}`] : []),
      '-cert',
      'cert.pem',
      '-CAfile',
      'ca.pem',
      ...(options.validityPeriodSeconds !== undefined ? ['-validity_period', String(options.validityPeriodSeconds)] : []),
    ];
    let run: { code: number; output: string };
    let cacheControl: string | undefined;
    const url = `${options.caUrl.replace(/\/$/, '')}/ocsp`;
    if (method === 'POST') {
      run = await openssl(['ocsp', ...base, '-url', url, options.nonce === false ? '-no_nonce' : '-nonce'], dir, timeoutMs, options.signal);
    } else {
      if (options.nonce) throw new TypeError('a GET request carries no nonce here (nonce: true needs POST)');
      const made = await openssl(
        ['ocsp', '-issuer', 'ca.pem', ...(options.certIdHash ? [`-${options.certIdHash}`] : []), '-cert', 'cert.pem', '-no_nonce', '-reqout', 'req.der'],
        dir,
        timeoutMs,
        options.signal,
      );
      if (made.code !== 0) throw new Error(`openssl ocsp could not write the request:\n${made.output}`);
      const request = await readFile(join(dir, 'req.der'));
      const res = await fetch(`${url}/${encodeURIComponent(request.toString('base64'))}`, {
        signal: options.signal ?? AbortSignal.timeout(timeoutMs),
      });
      cacheControl = res.headers.get('cache-control') ?? undefined;
      await writeFile(join(dir, 'resp.der'), new Uint8Array(await res.arrayBuffer()));
      // -no_nonce: else openssl makes a request with a nonce of its own and compares it with the answer.
      run = await openssl(['ocsp', ...base, '-no_nonce', '-respin', 'resp.der'], dir, timeoutMs, options.signal);
    }
    const { output } = run;
    // `cert.pem: good`, or `cert.pem: WARNING: Status times invalid.`, openssl's error line, then `good`.
    const start = output.indexOf('cert.pem: ');
    const line = start < 0 ? null : /^(?:cert\.pem: )?(good|revoked|unknown)$/m.exec(output.slice(start));
    if (!line) throw new Error(`openssl ocsp printed no status (exit ${run.code}):\n${output}`);
    const status = line[1] as OpensslOcspStatus['status'];
    const field = (name: string) => new RegExp(`^\\s*${name}: (.+)$`, 'm').exec(output)?.[1];
    const nextUpdate = field('Next Update');
    const reason = reasonOf(field('Reason'));
    return {
      status,
      ...(status === 'revoked' ? { revokedAt: dateOf(field('Revocation Time'), 'revocation time', output) } : {}),
      ...(reason !== undefined ? { reason } : {}),
      thisUpdate: dateOf(field('This Update'), 'This Update', output),
      ...(nextUpdate !== undefined ? { nextUpdate: dateOf(nextUpdate, 'Next Update', output) } : {}),
      verified: /^Response verify OK$/m.test(output) && run.code === 0,
      timesValid: !/Status times invalid/.test(output),
      ...(cacheControl !== undefined ? { cacheControl } : {}),
      output,
    };
  });
}

/**
 * Fetches the CA's CRL (`GET /crl`, DER) and reads it with `openssl crl -text`, verifying its
 * signature against the CA certificate.
 * @throws {Error} when the CA does not answer 200, openssl cannot run, or cannot read the CRL.
 * @example
 * const crl = await opensslCrlEntries({ caUrl: ca.url, caPem: ca.caCertPem });
 * expect(crl.entries.get(serial)?.reason).toBe('keyCompromise');
 */
export async function opensslCrlEntries(options: OpensslCrlOptions): Promise<OpensslCrl> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const res = await fetch(`${options.caUrl.replace(/\/$/, '')}/crl`, { signal: options.signal ?? AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200) throw new Error(`GET /crl answered ${res.status}`);
  const der = new Uint8Array(await res.arrayBuffer());
  return inTempDir(async (dir) => {
    await writeFile(join(dir, 'ca.pem'), options.caPem);
    await writeFile(join(dir, 'crl.der'), der);
    const { code, output } = await openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-CAfile', 'ca.pem', '-noout', '-text'], dir, timeoutMs, options.signal);
    if (code !== 0 && !/Certificate Revocation List/.test(output)) throw new Error(`openssl crl could not read the CRL:\n${output}`);
    const number = /X509v3 CRL Number:\s*\n\s*(\S+)/.exec(output)?.[1];
    if (number === undefined) throw new Error(`openssl crl printed no CRL number:\n${output}`);
    const entries = new Map<string, OpensslCrlEntry>();
    const list = output.split(/^Revoked Certificates:$/m)[1] ?? '';
    for (const block of list.split(/^\s*Serial Number: /m).slice(1)) {
      const serialHex = serialHexOf(block.slice(0, block.indexOf('\n')).trim());
      const revokedAt = dateOf(/Revocation Date: (.+)$/m.exec(block)?.[1], 'revocation date', output);
      const reason = reasonOf(/X509v3 CRL Reason Code:\s*\n\s*(.+)$/m.exec(block)?.[1]);
      entries.set(serialHex, { serialHex, revokedAt, ...(reason !== undefined ? { reason } : {}) });
    }
    return {
      // openssl prints small numbers in decimal and long ones as 0x-prefixed hex.
      crlNumber: BigInt(number.replace(/:/g, '')),
      thisUpdate: dateOf(/Last Update: (.+)$/m.exec(output)?.[1], 'Last Update', output),
      nextUpdate: dateOf(/Next Update: (.+)$/m.exec(output)?.[1], 'Next Update', output),
      entries,
      verified: /^verify OK$/m.test(output) && code === 0,
      output,
    };
  });
}
