/**
 * Issuance as reserve serial -> sign -> save against a real SQLite file: serial collisions, a
 * signer that throws, a crash between the steps, and copies of one request racing each other.
 */
import { describe, expect, it } from 'vitest';
import { CertificateStore, type SignedForStore } from '../store/certificate-store.js';
import { createSqlDatabase } from '../store/sqlite-dialect.js';
import { useTempDatabase } from '../store/test-support/snapshot.js';
import { issueWithReservedSerial, SERIAL_POOL_REQUESTER, SerialPool } from './issuance.js';

const temp = useTempDatabase('certwizard-issuance-');
const storeOf = (now = () => 0) => new CertificateStore(createSqlDatabase(temp.db), { now });
const signed = (pem: string): SignedForStore => ({
  pem,
  subject: 'CN=x',
  subjectAltNames: { dns: ['x.test'], email: [], ip: [] },
  notBefore: new Date(0),
  notAfter: new Date(1000),
  fingerprintSha256: 'ff',
});
const count = (table: string) => (temp.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const counts = () => ({ certificates: count('certificates'), serial_reservations: count('serial_reservations') });
const REQUEST = 'a'.repeat(64);

describe('issueWithReservedSerial', () => {
  it('retries a colliding random serial and stores exactly one row per certificate', async () => {
    const store = storeOf();
    const serials = ['0a', '0a', '0b'];
    await issueWithReservedSerial(
      store,
      () => serials.shift() as string,
      () => signed('A'),
      { requester: 'r', publicKeySha1: 'aa' },
    );
    const second = await issueWithReservedSerial(
      store,
      () => serials.shift() as string,
      () => signed('B'),
      { requester: 'r', publicKeySha1: 'bb' },
    );
    expect(second).toMatchObject({ serialHex: '0b', pem: 'B', replayed: false });
    expect(counts()).toMatchObject({ certificates: 2, serial_reservations: 0 });
  });

  it('stores nothing and gives the serial back when signing throws', async () => {
    const store = storeOf();
    const failing = () => {
      throw new Error('sign failed');
    };
    await expect(issueWithReservedSerial(store, () => '0c', failing, { requester: 'r', publicKeySha1: 'aa' })).rejects.toThrow('sign failed');
    expect(counts()).toMatchObject({ certificates: 0, serial_reservations: 0 });
    // The serial was given back: nothing was signed with it.
    expect(
      (
        await issueWithReservedSerial(
          store,
          () => '0c',
          () => signed('A'),
          { requester: 'r', publicKeySha1: 'aa', fixedSerial: true },
        )
      ).serialHex,
    ).toBe('0c');
  });

  it('refuses a fixed serial that is taken, without a second row', async () => {
    const store = storeOf();
    await issueWithReservedSerial(
      store,
      () => '0d',
      () => signed('A'),
      { requester: 'r', publicKeySha1: 'aa', fixedSerial: true },
    );
    await expect(
      issueWithReservedSerial(
        store,
        () => '0d',
        () => signed('B'),
        { requester: 'r', publicKeySha1: 'aa', fixedSerial: true },
      ),
    ).rejects.toMatchObject({
      code: 'ERR_CA_SERIAL',
    });
    expect(counts().certificates).toBe(1);
    expect((await store.get('0d'))?.pem).toBe('A');
  });

  it('signs outside any transaction, and saves before returning', async () => {
    const store = storeOf();
    let inTransaction: boolean | undefined;
    const outcome = await issueWithReservedSerial(
      store,
      () => '0e',
      (serial) => {
        inTransaction = !temp.db.inTransaction ? false : true;
        // Reserved, in its own committed transaction, before the signer runs.
        expect(temp.db.prepare('SELECT serial_hex FROM serial_reservations').all()).toEqual([{ serial_hex: serial }]);
        return signed('E');
      },
      { requester: 'r', publicKeySha1: 'aa' },
    );
    expect(inTransaction).toBe(false);
    expect(await store.get(outcome.serialHex)).toMatchObject({ pem: 'E', status: 'valid' });
    expect(counts().serial_reservations).toBe(0);
  });

  it('never hands out a serial reserved by an issuance that crashed before saving', async () => {
    const store = storeOf();
    // A crash between reserve and save: the reservation stays, nothing is stored.
    expect(await store.reserveSerials(['0f'], { requester: 'r' })).toEqual(['0f']);
    await expect(
      issueWithReservedSerial(
        store,
        () => '0f',
        () => signed('F'),
        { requester: 'r', publicKeySha1: 'aa', fixedSerial: true },
      ),
    ).rejects.toMatchObject({
      code: 'ERR_CA_SERIAL',
    });
    const serials = ['0f', '10'];
    expect(
      (
        await issueWithReservedSerial(
          store,
          () => serials.shift() as string,
          () => signed('G'),
          { requester: 'r', publicKeySha1: 'aa' },
        )
      ).serialHex,
    ).toBe('10');
    expect(counts()).toMatchObject({ certificates: 1, serial_reservations: 1 });
  });

  it('answers copies of one request racing each other with one certificate', async () => {
    const store = storeOf();
    const meta = { requester: 'client', publicKeySha1: 'aa', csrSha256: REQUEST, replayOf: REQUEST };
    const serials = ['11', '12', '13'];
    const outcomes = await Promise.all(
      ['X', 'Y', 'Z'].map((pem) =>
        issueWithReservedSerial(
          store,
          () => serials.shift() as string,
          async () => signed(pem),
          meta,
        ),
      ),
    );
    expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.serialHex)).size).toBe(1);
    expect(counts()).toMatchObject({ certificates: 1, serial_reservations: 0 });
  });
});

describe('SerialPool', () => {
  it('reserves a batch ahead, skips serials already taken, and hands each out once', async () => {
    const store = storeOf();
    await issueWithReservedSerial(
      store,
      () => '21',
      () => signed('A'),
      { requester: 'r', publicKeySha1: 'aa' },
    );
    const randoms = ['20', '21', '22', '23', '24', '25'];
    const pool = new SerialPool(store, () => randoms.shift() as string, { batch: 3 });
    const meta = { requester: 'r', publicKeySha1: 'aa' };
    const issued = [];
    for (let i = 0; i < 3; i++)
      issued.push(
        (
          await issueWithReservedSerial(
            store,
            () => 'ff',
            () => signed(`P${i}`),
            meta,
            undefined,
            { pool },
          )
        ).serialHex,
      );
    // 21 was signed before: the first batch (20, 21, 22) reserved two, the second (23, 24, 25) three.
    expect(issued).toEqual(['20', '22', '23']);
    expect(temp.db.prepare('SELECT serial_hex, requester FROM serial_reservations ORDER BY serial_hex').all()).toEqual([
      { serial_hex: '24', requester: SERIAL_POOL_REQUESTER },
      { serial_hex: '25', requester: SERIAL_POOL_REQUESTER },
    ]);
    // A hook's serial bypasses the pool and collides with what the pool holds.
    await expect(
      issueWithReservedSerial(
        store,
        () => '24',
        () => signed('X'),
        { ...meta, fixedSerial: true },
        undefined,
        { pool },
      ),
    ).rejects.toMatchObject({
      code: 'ERR_CA_SERIAL',
    });
  });
});

describe('CertificateStore', () => {
  it('hands out increasing CRL numbers', async () => {
    const store = storeOf();
    expect([await store.nextCrlNumber(), await store.nextCrlNumber(), await store.nextCrlNumber()]).toEqual([1n, 2n, 3n]);
  });
});
