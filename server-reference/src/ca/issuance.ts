/**
 * Issuance without signing inside a database transaction, in two shapes:
 *
 * - **A random serial** (the default): sign for a fresh random serial, then **save** the
 *   certificate and the request it answers in one transaction. The unique index on the serial
 *   is the check: a serial some certificate already has (at 127 random bits, a bug) is not
 *   saved, and the request is signed again for a new serial; the first signature never left
 *   the server. No reservation is written, so an issuance costs one transaction.
 * - **A hook's fixed serial**: **reserve** it first in its own short transaction (a collision is
 *   an error, not a retry), **sign**, then **save** and end the reservation in one transaction.
 *   The reservation is what keeps two in-flight issuances from signing with one fixed serial.
 *
 * Either way the signer runs outside any transaction, so a slow signer (an HSM, an RSA key)
 * holds no lock that other requests or other CA processes wait for.
 *
 * Invariants: a certificate leaves the server only once saved; a crash before the save leaves
 * no certificate anyone received (and, for a fixed serial, a reservation that is never handed
 * out again); a signer that throws gives its fixed serial back and stores nothing. Copies of one
 * request racing each other (with `replayOf`) meet in the save transaction, where the first
 * saved wins and the others are answered with its certificate (theirs is dropped unseen).
 */
import { SerialNumberError } from '../errors.js';
import type { CertificateRepository, IssuedRequest, IssueMeta, SaveOutcome, SignedForStore, StoredCertificate } from '../store/certificate-store.js';

/** How many random serials are tried before giving up; a collision at 127 bits is a bug. */
const MAX_SERIAL_ATTEMPTS = 4;

/** A saved certificate, or the one an earlier copy of the request got (`replayed: true`). */
export type IssuanceOutcome = StoredCertificate & { readonly replayed: boolean };

/**
 * Signs for a serial and saves the certificate (and `request`), reserving the serial first
 * when it is a hook's fixed one (see the file comment).
 * @param nextSerial - gives a candidate serial (lower-case hex, DER-minimal, positive).
 * @param sign - makes the certificate for a serial; runs outside any transaction.
 * @param meta - `fixedSerial`: the serial came from a hook, so it is reserved first and a
 *   collision is an error instead of a retry; `csrSha256`: recorded with the certificate for
 *   later replays; `replayOf`: a copy of this request saved meanwhile is returned instead.
 * @throws {SerialNumberError} `ERR_CA_SERIAL` when the serial is taken (every attempt, or the fixed one).
 * @example
 * const cert = await issueWithUniqueSerial(certificates, randomSerialHex, (serial) => signFor(serial), { requester, publicKeySha1 });
 */
export async function issueWithUniqueSerial(
  certificates: CertificateRepository,
  nextSerial: () => string,
  sign: (serialHex: string) => SignedForStore | Promise<SignedForStore>,
  meta: IssueMeta,
  request?: IssuedRequest,
): Promise<IssuanceOutcome> {
  if (meta.fixedSerial) return issueWithReservedSerial(certificates, nextSerial(), sign, meta, request);
  for (let attempt = 1; ; attempt++) {
    const serialHex = nextSerial();
    const outcome = await certificates.save(serialHex, await sign(serialHex), meta, request);
    if (!('taken' in outcome)) return outcomeOf(outcome);
    if (attempt >= MAX_SERIAL_ATTEMPTS) throw new SerialNumberError(`serial number ${serialHex} is already taken`);
  }
}

async function issueWithReservedSerial(
  certificates: CertificateRepository,
  serialHex: string,
  sign: (serialHex: string) => SignedForStore | Promise<SignedForStore>,
  meta: IssueMeta,
  request?: IssuedRequest,
): Promise<IssuanceOutcome> {
  const [reserved] = await certificates.reserveSerials([serialHex], meta);
  if (reserved === undefined) throw new SerialNumberError(`serial number ${serialHex} is already taken`);
  let signed: SignedForStore;
  try {
    signed = await sign(serialHex);
  } catch (err) {
    await certificates.releaseSerial(serialHex);
    throw err;
  }
  const outcome = await certificates.save(serialHex, signed, meta, request);
  // Reserved above, so only a random serial saved meanwhile can hold it: the hook's serial is taken.
  if ('taken' in outcome) throw new SerialNumberError(`serial number ${serialHex} is already taken`);
  return outcomeOf(outcome);
}

function outcomeOf(outcome: Exclude<SaveOutcome, { taken: true }>): IssuanceOutcome {
  return 'replayed' in outcome ? { ...outcome.replayed, replayed: true } : { ...outcome.saved, replayed: false };
}
