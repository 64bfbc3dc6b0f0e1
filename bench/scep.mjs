/**
 * `npm run bench -- scep`: certmonger enrolling by SCEP against the reference CA, beside
 * certmonger's own local signer, and SCEP issuances per second through the SDK's client.
 *
 * What runs: a private certmonger daemon (the test support's startCertmonger: no system bus, its
 * state in a temporary directory) and the reference CA (an RSA identity, a fresh database) in this
 * process. Part one times `getcert request ... -w` end to end: against the CA's `/scep` with a
 * fresh PIN each (key generation, GetCACaps, GetCACert, PKCSReq, the CertRep, the files written),
 * and `getcert request -c local -w` (certmonger's local signer: the same key generation and file
 * work with no network or CA), the median of `--rounds` runs each, printed with their ratio from
 * this one run.
 *
 * Part two, issuances per second, `--requests` of each, `--concurrency` at a time, each with its
 * own PIN (made before the clock starts):
 * - the SDK client as a vendor's installer drives it: `enroll()` with `scepMethod` (the CA's
 *   fingerprint pinned, the PIN given), each into its own folder: a new RSA-2048 key, the request,
 *   GetCACert and GetCACaps (every enrollment pins the CA in its own state), the PKCSReq and its
 *   CertRep checked against the pinned RA, the install (files, fsyncs, state). Each installed
 *   certificate is read back and must name its DNS name.
 * - RSA-2048 key generation alone (@certwizard/pki's generateKeyPairAsync, as enroll() calls it),
 *   the same count and concurrency: the share of the figure above that is the key, not SCEP.
 * - the codec's client functions (@certwizard/scep: buildScepRequest, parseCertRep) with one RSA
 *   key for all and nothing installed: the protocol's round trip alone, so the gap to the enroll()
 *   figure is what the SDK adds (key, state, install).
 * Nothing timed is asserted; a request that does not end with a certificate fails the bench. CPU
 * taken by other processes during each figure is printed (on 2 cores, one busy neighbour halves
 * them).
 *
 * Options (after `npm run bench -- scep --`):
 *   --rounds N        getcert runs per CA, the median reported (default 5)
 *   --requests N      issuances per figure of part two (default 50)
 *   --concurrency N   of those in flight at once (default 4)
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchFailure, BUSY_MACHINE_CORES, wholeNumbers } from './lib/common.mjs';
import { watchLoad } from './lib/machine-load.mjs';

/** @param {string} message */
const log = (message) => process.stderr.write(`[scep] ${message}\n`);

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, requests: { type: 'string', default: '50' }, concurrency: { type: 'string', default: '4' } },
});
const int = wholeNumbers(values);
const rounds = int('rounds', 1, 50);
const requests = int('requests', 1, 10_000);
const concurrency = int('concurrency', 1, 64);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * One `getcert request -w` into fresh files, timed; it must end MONITORING.
 * @param {import('../server-reference/dist/testing/index.js').Certmonger} certmonger
 */
async function timeGetcert(certmonger, ca, i, extra) {
  const id = `${ca}-${i}`;
  const args = ['request', '-c', ca, '-I', id, '-f', join(certmonger.dir, `${id}.crt`), '-k', join(certmonger.dir, `${id}.key`)];
  args.push('-N', `CN=h${i}.bench.test`, '-D', `h${i}.bench.test`, ...extra, '-w');
  const started = process.hrtime.bigint();
  const result = await certmonger.getcert(args, { timeoutMs: 120_000 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.code !== 0) throw new BenchFailure(`getcert request -c ${ca} exited ${result.code}: ${result.stderr}${result.stdout}`);
  const tracked = await certmonger.tracked(id);
  if (tracked.status !== 'MONITORING') throw new BenchFailure(`getcert request -c ${ca} ended ${tracked.status}: ${tracked.listing}`);
  await certmonger.getcert(['stop-tracking', '-i', id]);
  return ms;
}

/** A PIN maker on a second handle of the CA's database file, as `certwizard-ca scep-pin` makes them. */
async function pinMaker(dataDir) {
  const { openDatabase } = await import('../server-reference/dist/store/database.js');
  const { createSqlDatabase } = await import('../server-reference/dist/store/sqlite-dialect.js');
  const { ScepPinService } = await import('../server-reference/dist/scep/scep-pin-service.js');
  const { ScepPinStore } = await import('../server-reference/dist/scep/scep-pin-store.js');
  const db = openDatabase(dataDir);
  const pins = new ScepPinService(new ScepPinStore(createSqlDatabase(db)));
  return {
    make: async (dns) => (await pins.create({ dnsNames: [dns], createdBy: 'cli' })).pin,
    close: () => db.close(),
  };
}

async function main() {
  const testing = await import('../server-reference/dist/testing/index.js');
  let certmonger;
  let ca;
  let pins;
  let tmp;
  try {
    certmonger = await testing.startCertmonger();
    log(`certmonger's local signer: ${rounds} x getcert request -c local -w`);
    await timeGetcert(certmonger, 'local', 'warm', []); // makes the local signer's own CA first
    const local = [];
    for (let i = 0; i < rounds; i++) local.push(await timeGetcert(certmonger, 'local', i, []));

    ca = await testing.startTestCa();
    pins = await pinMaker(ca.dataDir);
    const scepUrl = `${ca.url}/scep`;
    const added = await certmonger.getcert(['add-scep-ca', '-c', 'certwizard', '-u', scepUrl]);
    if (added.code !== 0) throw new BenchFailure(`getcert add-scep-ca exited ${added.code}: ${added.stderr}`);
    log(`reference CA: ${rounds} x getcert request -c certwizard -L PIN -w`);
    const scep = [];
    for (let i = 0; i < rounds; i++) {
      const pin = await pins.make(`h${i}.bench.test`);
      scep.push(await timeGetcert(certmonger, 'certwizard', i, ['-L', pin]));
    }
    const m = { local: median(local), scep: median(scep) };

    tmp = mkdtempSync(join(tmpdir(), 'certwizard-bench-scep-'));
    log(`SDK client: ${requests} x enroll() with scepMethod, ${concurrency} at a time`);
    const viaEnroll = await enrollPerSecond(pins, scepUrl, ca.caCertPem, tmp);
    log(`RSA-2048 key generation alone: ${requests}, ${concurrency} at a time`);
    const keys = await keysPerSecond();
    log(`codec client: ${requests} PKCSReq, ${concurrency} at a time`);
    const viaCodec = await codecPerSecond(pins, scepUrl);
    const load = (l) => (l === undefined ? '' : `  (other load ${(l.otherCores + l.stealCores).toFixed(2)} cores)`);
    const lines = [
      `SCEP against the reference CA, ${process.platform} ${process.arch}, Node ${process.version}, certmonger 0.79`,
      `getcert request -w, median of ${rounds}:  reference CA /scep ${m.scep.toFixed(0)} ms,  certmonger local signer ${m.local.toFixed(0)} ms,  ratio ${(m.scep / m.local).toFixed(2)}x`,
      `${requests} each, ${concurrency} in flight:`,
      `  SDK client, enroll() with scepMethod (new RSA-2048 key, request, GetCACert/GetCACaps, PKCSReq, install): ${viaEnroll.rate.toFixed(1)} issuances/s${load(viaEnroll.load)}`,
      `  RSA-2048 key generation alone (generateKeyPairAsync, as enroll() makes its key): ${keys.rate.toFixed(1)} keys/s${load(keys.load)}`,
      `  codec client (buildScepRequest/parseCertRep, one key for all, nothing installed): ${viaCodec.rate.toFixed(1)} issuances/s${load(viaCodec.load)}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if ([viaEnroll, keys, viaCodec].some(({ load: l }) => l !== undefined && l.otherCores + l.stealCores > BUSY_MACHINE_CORES))
      log(`other processes took more than ${BUSY_MACHINE_CORES} cores during a figure: read the shape, not the digits, or re-run`);
  } finally {
    await certmonger?.stop();
    pins?.close();
    await ca?.dispose();
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Runs `one(i)` for i below `requests`, `concurrency` at a time; returns the rate per second and
 * the CPU other processes took meanwhile.
 * @param {(i: number) => Promise<void>} one
 */
async function timed(one) {
  let next = 0;
  const loadDone = watchLoad();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) await one(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { rate: requests / seconds, load: loadDone() };
}

/**
 * What a vendor's installer does: `enroll()` with `scepMethod`, the CA's fingerprint pinned and a
 * PIN from the operator, each certificate in its own folder and credential store; the installed
 * certificate is read back and must carry its DNS name.
 */
async function enrollPerSecond(pins, scepUrl, caCertPem, tmp) {
  const sdk = await import('../packages/sdk/dist/index.js');
  const pki = await import('../packages/pki/dist/index.js');
  const fingerprint = createHash('sha256').update(pki.parseCertificate(caCertPem).der).digest('hex');
  const made = [];
  for (let i = 0; i < requests; i++) made.push(await pins.make(`e${i}.bench.test`));
  return timed(async (i) => {
    const dns = `e${i}.bench.test`;
    const dir = join(tmp, `e${i}`);
    const result = await sdk.enroll({
      caUrl: scepUrl,
      name: `e${i}`,
      baseDir: dir,
      names: { dns: [dns] },
      credentials: await sdk.openFileStore({ dir: join(dir, 'credentials') }),
      trustAnchorsPem: caCertPem,
      method: sdk.scepMethod({ url: scepUrl, pin: made[i], pinnedCaFingerprintSha256: fingerprint }),
    });
    const leaf = pki.parseCertificate(readFileSync(result.installed.paths.cert, 'utf8'));
    if (leaf.subjectAltNames.dns?.[0] !== dns) throw new BenchFailure(`enroll() ${i}: installed a certificate for ${leaf.subjectAltNames.dns}, not ${dns}`);
  });
}

/** RSA-2048 keys as enroll() makes them (generateKeyPairAsync), at the same concurrency. */
async function keysPerSecond() {
  const pki = await import('../packages/pki/dist/index.js');
  return timed(async () => {
    await pki.generateKeyPairAsync('rsa2048');
  });
}

/** PKCSReq through the codec's client functions, each with its own PIN, checked; issuances per second. */
async function codecPerSecond(pins, scepUrl) {
  const scep = await import('../packages/scep/dist/index.js');
  const pki = await import('../packages/pki/dist/index.js');
  const asn1js = await import('asn1js');
  const ca = await fetch(`${scepUrl}?operation=GetCACert&message=0`);
  const { raCertificateDer } = scep.parseCaCertResponse(new Uint8Array(await ca.arrayBuffer()), ca.headers.get('content-type') ?? '');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const made = [];
  for (let i = 0; i < requests; i++) made.push(await pins.make(`c${i}.bench.test`));
  // The CSR's subject Name DER (CertificationRequestInfo's second field) for the self-signed signer.
  const subjectDerOf = (csrDer) => new Uint8Array(asn1js.fromBER(Buffer.from(csrDer)).result.valueBlock.value[0].valueBlock.value[1].toBER());
  const one = async (i) => {
    const dns = `c${i}.bench.test`;
    const csr = pki.createCsr({ privateKey, subject: [{ type: 'CN', value: dns }], subjectAltNames: { dns: [dns] }, challengePassword: made[i] });
    const signer = scep.createTransientSigner({ privateKey, subjectDer: subjectDerOf(csr.der) });
    const transactionId = randomBytes(20).toString('hex');
    const req = scep.buildScepRequest({ messageType: 'PKCSReq', transactionId, content: csr.der, recipientCertificateDer: raCertificateDer, signer });
    const res = await fetch(`${scepUrl}?operation=PKIOperation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-pki-message' },
      body: Buffer.from(req.der),
    });
    if (res.status !== 200) throw new BenchFailure(`PKCSReq ${i}: HTTP ${res.status}`);
    const reply = scep.parseCertRep(new Uint8Array(await res.arrayBuffer()), {
      raCertificateDer,
      transactionId,
      senderNonce: req.senderNonce,
      recipient: signer,
    });
    if (reply.status !== 'SUCCESS' || !('certificatesDer' in reply)) throw new BenchFailure(`PKCSReq ${i} answered ${reply.status}`);
  };
  return timed(one);
}

main().catch((error) => {
  log(error instanceof BenchFailure ? `FAILED: ${error.message}` : (error?.stack ?? String(error)));
  process.exitCode = 1;
});
