/**
 * Issuance as three steps, none of which signs inside a database transaction:
 *
 * 1. **reserve**: take a serial number in its own short transaction (a random one is retried on
 *    a collision; a hook's fixed one is not: its collision is an error). Random serials may come
 *    from a {@link SerialPool}, reserved ahead in batches, so that most issuances skip this
 *    transaction; a pooled serial is reserved exactly like a single one, only earlier;
 * 2. **sign**: outside any transaction, so a slow signer (an HSM, an RSA key) holds no lock that
 *    other requests or other CA processes wait for;
 * 3. **save**: store the certificate, end the reservation and record the request it answers, in
 *    a second transaction, before the certificate is returned to anyone.
 *
 * Invariants: a certificate leaves the server only once saved; a crash between 1 and 3 leaves a
 * reserved serial, which is never handed out again, and no certificate anyone received; a signer
 * that throws gives its serial back and stores nothing. Copies of one request racing each other
 * (with `replayOf`) meet in the save transaction, where the first saved wins and the others are
 * answered with its certificate (theirs is dropped unseen).
 */
import { SerialNumberError } from '../errors.js';
import type { CertificateRepository, IssuedRequest, IssueMeta, SignedForStore, StoredCertificate } from '../store/certificate-store.js';

/** How many random serials are tried before giving up; a collision at 127 bits is a bug. */
const MAX_SERIAL_ATTEMPTS = 4;

/** A saved certificate, or the one an earlier copy of the request got (`replayed: true`). */
export type IssuanceOutcome = StoredCertificate & { readonly replayed: boolean };

/**
 * Reserves a serial, signs for it, saves the certificate (and `request`), in that order.
 * @param nextSerial - gives a candidate serial (lower-case hex, DER-minimal, positive).
 * @param sign - makes the certificate for a reserved serial; runs outside any transaction.
 * @param meta - `fixedSerial`: the serial came from a hook, so a collision is an error instead
 *   of a retry; `csrSha256`: recorded with the certificate for later replays; `replayOf`: a
 *   copy of this request saved meanwhile is returned instead.
 * @throws {SerialNumberError} `ERR_CA_SERIAL` when the serial is taken (every attempt, or the fixed one).
 * @example
 * const cert = await issueWithReservedSerial(certificates, randomSerialHex, (serial) => signFor(serial), { requester, publicKeySha1 });
 */
export async function issueWithReservedSerial(
  certificates: CertificateRepository,
  nextSerial: () => string,
  sign: (serialHex: string) => SignedForStore | Promise<SignedForStore>,
  meta: IssueMeta,
  request?: IssuedRequest,
  options: { pool?: SerialPool } = {},
): Promise<IssuanceOutcome> {
  const serialHex = options.pool !== undefined && !meta.fixedSerial ? await options.pool.take() : await reserve(certificates, nextSerial, meta);
  let signed: SignedForStore;
  try {
    signed = await sign(serialHex);
  } catch (err) {
    await certificates.releaseSerial(serialHex);
    throw err;
  }
  const outcome = await certificates.save(serialHex, signed, meta, request);
  return 'replayed' in outcome ? { ...outcome.replayed, replayed: true } : { ...outcome.saved, replayed: false };
}

async function reserve(certificates: CertificateRepository, nextSerial: () => string, meta: IssueMeta): Promise<string> {
  const attempts = meta.fixedSerial ? 1 : MAX_SERIAL_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    const serialHex = nextSerial();
    const [reserved] = await certificates.reserveSerials([serialHex], meta);
    if (reserved !== undefined) return reserved;
    if (attempt >= attempts) throw new SerialNumberError(`serial number ${serialHex} is already taken`);
  }
}

/** The requester recorded with the serials a {@link SerialPool} reserves ahead. */
export const SERIAL_POOL_REQUESTER = 'ca:serial-pool';

/**
 * Random serials reserved ahead, a batch per transaction, for one CA process. A serial taken
 * from the pool is reserved (in the database) before it is handed out, exactly as one reserved
 * for its request; what a crash leaves is the same too: reserved serials never used.
 * @example
 * const pool = new SerialPool(certificates, randomSerialHex);
 * await issueWithReservedSerial(certificates, randomSerialHex, sign, meta, undefined, { pool });
 */
export class SerialPool {
  readonly #certificates: CertificateRepository;
  readonly #random: () => string;
  readonly #batch: number;
  readonly #ready: string[] = [];

  /** @param options.batch - serials reserved per transaction; default 32. */
  constructor(certificates: CertificateRepository, random: () => string, options: { batch?: number } = {}) {
    this.#certificates = certificates;
    this.#random = random;
    this.#batch = options.batch ?? 32;
    if (!Number.isSafeInteger(this.#batch) || this.#batch <= 0) throw new TypeError('batch must be a positive integer');
  }

  /**
   * A reserved serial, reserving a new batch when none is left.
   * @throws {SerialNumberError} `ERR_CA_SERIAL` when a whole batch of random serials was taken (a bug).
   */
  async take(): Promise<string> {
    for (let attempt = 1; this.#ready.length === 0; attempt++) {
      const candidates = Array.from({ length: this.#batch }, () => this.#random());
      this.#ready.push(...(await this.#certificates.reserveSerials(candidates, { requester: SERIAL_POOL_REQUESTER })));
      if (this.#ready.length === 0 && attempt >= MAX_SERIAL_ATTEMPTS) throw new SerialNumberError('every random serial number tried is already taken');
    }
    return this.#ready.shift() as string;
  }
}
