/**
 * The reference CA's SCEP endpoint (RFC 8894) proven with a client nobody here wrote: certmonger
 * 0.79 (`getcert` and its helper `/usr/lib/certmonger/scep-submit`), each test against a real
 * test CA on 127.0.0.1:0 and a private certmonger daemon (src/testing/certmonger.ts: no system
 * bus, its state in a temporary directory), both stopped by the test: enrolment with a PIN,
 * refusals, a held request approved, and renewal by `getcert resubmit` and `getcert rekey`.
 */
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScepPinService } from '../src/scep/scep-pin-service.js';
import { ScepPinStore } from '../src/scep/scep-pin-store.js';
import { openDatabase } from '../src/store/database.js';
import { createSqlDatabase } from '../src/store/sqlite-dialect.js';
import { type Certmonger, scepSubmit, startCertmonger } from '../src/testing/certmonger.js';
import { addOperator, OPERATOR, OPERATOR_PASSWORD } from './support/operator-client.js';
import { postForm } from './support/registration-client.js';
import { startTestCa, type TestCa } from './support/test-ca.js';

const HOUR_MS = 3_600_000;

/**
 * A SCEP PIN for `dns`, made as `certwizard-ca scep-pin` makes one: the PIN service on a second
 * handle of the CA's database file (the service is safe across processes on one file).
 */
async function makePin(ca: TestCa, dns: string): Promise<string> {
  const db = openDatabase(ca.dataDir);
  try {
    return (await new ScepPinService(new ScepPinStore(createSqlDatabase(db))).create({ dnsNames: [dns], createdBy: 'cli' })).pin;
  } finally {
    db.close();
  }
}

const pemBlocks = (text: string) => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

describe('SCEP against certmonger', () => {
  let ca: TestCa;
  let certmonger: Certmonger;
  let scepUrl: string;
  beforeEach(async () => {
    ca = await startTestCa();
    certmonger = await startCertmonger();
    scepUrl = `${ca.url}/scep`;
    const added = await certmonger.getcert(['add-scep-ca', '-c', 'certwizard', '-u', scepUrl]);
    if (added.code !== 0) throw new Error(`getcert add-scep-ca exited ${added.code}: ${added.stdout}${added.stderr}`);
  });
  afterEach(async () => {
    await certmonger?.stop();
    await ca?.dispose();
  });

  /** `getcert request -w` to the CA added as `certwizard`, tracked as `id`, into files in the daemon's directory. */
  async function request(id: string, dns: string, extra: readonly string[]) {
    const cert = join(certmonger.dir, `${id}.crt`);
    const result = await certmonger.getcert([
      'request',
      '-c',
      'certwizard',
      '-I',
      id,
      '-f',
      cert,
      '-k',
      join(certmonger.dir, `${id}.key`),
      '-N',
      `CN=${dns}`,
      '-D',
      dns,
      ...extra,
      '-w',
    ]);
    return { result, cert };
  }

  function verifyIssued(cert: string, dns: string) {
    const caFile = join(certmonger.dir, 'ca.pem');
    writeFileSync(caFile, ca.caCertPem);
    expect(execFileSync('openssl', ['verify', '-CAfile', caFile, cert], { encoding: 'utf8' })).toContain(': OK');
    expect(new X509Certificate(readFileSync(cert)).subjectAltName).toBe(`DNS:${dns}`);
  }

  it('scep-submit -c lists the capabilities; -C prints the RA and the CA certificates of the CA’s files', async () => {
    const caps = await scepSubmit(scepUrl, 'capabilities');
    expect(caps.code, caps.stderr).toBe(0);
    expect(caps.stdout.split('\n').filter(Boolean).sort()).toEqual(['AES', 'POSTPKIOperation', 'Renewal', 'SCEPStandard', 'SHA-256', 'SHA-512']);
    const certs = await scepSubmit(scepUrl, 'certificates');
    expect(certs.code, certs.stderr).toBe(0);
    const printed = pemBlocks(certs.stdout).map((p) => new X509Certificate(p).fingerprint256);
    const onDisk = ['ra.cert.pem', 'ca.cert.pem'].map((f) => new X509Certificate(readFileSync(join(ca.identityDir, f))).fingerprint256);
    expect(printed.sort()).toEqual(onDisk.sort());
  });

  it('getcert request with a PIN ends MONITORING with a certificate openssl verifies, carrying the SAN asked for', async () => {
    const pin = await makePin(ca, 'host.example');
    const { result, cert } = await request('web', 'host.example', ['-L', pin]);
    expect(result.code, result.stderr).toBe(0);
    expect((await certmonger.tracked('web')).status).toBe('MONITORING');
    verifyIssued(cert, 'host.example');
  });

  it('a spent PIN, a wrong PIN and an expired PIN end CA_REJECTED, and issue nothing', async () => {
    const pin = await makePin(ca, 'a.example');
    expect((await request('first', 'a.example', ['-L', pin])).result.code).toBe(0);
    const issued = (await ca.counts()).certificates;
    expect(issued).toBe(1);
    await request('again', 'a.example', ['-L', pin]);
    expect((await certmonger.tracked('again')).status).toBe('CA_REJECTED');
    await request('wrong', 'a.example', ['-L', `${pin.slice(0, -2)}xx`]);
    expect((await certmonger.tracked('wrong')).status).toBe('CA_REJECTED');
    const late = await makePin(ca, 'a.example');
    await ca.advanceClock(HOUR_MS + 1000); // past the default 1 h lifetime
    await request('late', 'a.example', ['-L', late]);
    expect((await certmonger.tracked('late')).status).toBe('CA_REJECTED');
    expect((await ca.counts()).certificates).toBe(issued);
  });

  // Without a PIN the CA holds the request (CertRep PENDING): `getcert request -w` exits 5 with
  // the request CA_WORKING. After approval, `getcert refresh -i ID` (no -w there) makes the
  // running daemon ask again now: it resends the same PKCSReq (same transactionID), which the CA
  // answers with the transaction's state.
  it('a request without a PIN waits until an operator approves it in the operator area, then ends MONITORING', async () => {
    const { result, cert } = await request('held', 'held.example', []);
    expect(result.code).toBe(5);
    expect((await certmonger.tracked('held')).status).toBe('CA_WORKING');
    const rows = (await ca.rows()).certificate_requests as { id: string; status: string; source: string }[];
    const held = rows.filter((r) => r.source === 'scep' && r.status === 'pending');
    expect(held).toHaveLength(1);
    // Approved in the operator area, as an operator does it: log in, the queue lists it, Approve.
    const id = (held[0] as { id: string }).id;
    await addOperator(ca);
    const login = await postForm(`${ca.url}/operator/login`, { EmailAddress: OPERATOR, Password: OPERATOR_PASSWORD });
    const cookie = (login.headers.get('set-cookie') as string).split(';')[0] as string;
    const queue = await (await fetch(`${ca.url}/operator/queue`, { headers: { cookie } })).text();
    expect(queue).toContain(`aria-label="Approve request ${id}"`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(queue)?.[1] as string;
    expect((await postForm(`${ca.url}/operator/requests/${id}/approve`, { csrf }, { cookie, origin: new URL(ca.url).origin })).status).toBe(303);
    const refreshed = await certmonger.getcert(['refresh', '-i', 'held']);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    await certmonger.waitFor('held', (s) => s === 'MONITORING', { timeoutMs: 30_000 });
    verifyIssued(cert, 'held.example');
  });

  // certmonger 0.79 renews by a PKCSReq (messageType 19, never RenewalReq) signed with the
  // current certificate and key, its CSR carrying the first enrolment's (spent) PIN; `resubmit`
  // even reuses the first transactionID. The CA takes a PKCSReq signed by its own valid
  // certificate as that certificate's renewal (RFC 8894 §3.3.1.2), its own transaction.
  async function renewed(command: 'resubmit' | 'rekey', id: string, dns: string) {
    const pin = await makePin(ca, dns);
    const { result, cert } = await request(id, dns, ['-L', pin]);
    expect(result.code, result.stderr).toBe(0);
    const first = new X509Certificate(readFileSync(cert));
    const again = await certmonger.getcert([command, '-i', id, '-w']);
    expect(again.code, `${again.stdout}${again.stderr}`).toBe(0);
    await certmonger.waitFor(id, (s) => s === 'MONITORING', { timeoutMs: 30_000 });
    const second = new X509Certificate(readFileSync(cert));
    expect(second.serialNumber).not.toBe(first.serialNumber);
    verifyIssued(cert, dns);
    expect((await ca.counts()).certificates).toBe(2);
    return { first, second };
  }

  it('getcert resubmit renews: MONITORING with a new serial, same key, that openssl verifies and that carries the SAN', async () => {
    const { first, second } = await renewed('resubmit', 'again', 'again.example');
    expect(second.publicKey.export({ type: 'spki', format: 'der' })).toEqual(first.publicKey.export({ type: 'spki', format: 'der' }));
  });

  it('getcert rekey renews with a new key: MONITORING with a new serial that openssl verifies and that carries the SAN', async () => {
    const { first, second } = await renewed('rekey', 'fresh', 'fresh.example');
    expect(second.publicKey.export({ type: 'spki', format: 'der' })).not.toEqual(first.publicKey.export({ type: 'spki', format: 'der' }));
  });
});
