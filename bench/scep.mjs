/**
 * `npm run bench -- scep`: certmonger enrolling by SCEP against the reference CA, beside
 * certmonger's own local signer, and SCEP issuances per second through the codec's client.
 *
 * What runs: a private certmonger daemon (the test support's startCertmonger: no system bus, its
 * state in a temporary directory) and the reference CA (an RSA identity, a fresh database) in this
 * process. Part one times `getcert request ... -w` end to end: against the CA's `/scep` with a
 * fresh PIN each (key generation, GetCACaps, GetCACert, PKCSReq, the CertRep, the files written),
 * and `getcert request -c local -w` (certmonger's local signer: the same key generation and file
 * work with no network or CA), the median of `--rounds` runs each, printed with their ratio from
 * this one run. Part two: `--requests` PKCSReq messages built with the codec's client functions
 * (@certwizard/scep: buildScepRequest, parseCertRep; not the SDK's scep method, still landing),
 * `--concurrency` at a time over HTTP, one RSA key for all (key generation is not what is
 * measured), each CertRep checked. Nothing timed is asserted; a request that does not end with a
 * certificate fails the bench.
 *
 * Options (after `npm run bench -- scep --`):
 *   --rounds N        getcert runs per CA, the median reported (default 5)
 *   --requests N      PKCSReq messages through the codec client (default 50)
 *   --concurrency N   of those in flight at once (default 4)
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchFailure, wholeNumbers } from './lib/common.mjs';

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

    log(`codec client: ${requests} PKCSReq, ${concurrency} at a time`);
    const rate = await issuancesPerSecond(pins, scepUrl);
    const lines = [
      `SCEP against the reference CA, ${process.platform} ${process.arch}, Node ${process.version}, certmonger 0.79`,
      `getcert request -w, median of ${rounds}:  reference CA /scep ${m.scep.toFixed(0)} ms,  certmonger local signer ${m.local.toFixed(0)} ms,  ratio ${(m.scep / m.local).toFixed(2)}x`,
      `codec client (buildScepRequest/parseCertRep), ${requests} PKCSReq x ${concurrency} in flight: ${rate.toFixed(1)} issuances/s`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await certmonger?.stop();
    pins?.close();
    await ca?.dispose();
  }
}

/** PKCSReq through the codec's client functions, each with its own PIN, checked; issuances per second. */
async function issuancesPerSecond(pins, scepUrl) {
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
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) await one(next++);
    }),
  );
  return requests / (Number(process.hrtime.bigint() - started) / 1e9);
}

main().catch((error) => {
  log(error instanceof BenchFailure ? `FAILED: ${error.message}` : (error?.stack ?? String(error)));
  process.exitCode = 1;
});
