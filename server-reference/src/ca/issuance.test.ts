/**
 * Issuance against a real SQLite file: random serials (sign -> save, the unique index deciding)
 * and a hook's fixed serials (reserve -> sign -> save): collisions, a signer that throws, a crash
 * between the steps, and copies of one request racing each other.
 */
import { describe, expect, it } from 'vitest';
import { CertificateStore, type SignedForStore } from '../store/certificate-store.js';
import { createSqlDatabase } from '../store/sqlite-dialect.js';
import { useTempDatabase } from '../store/test-support/snapshot.js';
import { issueWithUniqueSerial } from './issuance.js';

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
const D1 = '1'.repeat(64);
const D3 = '3'.repeat(64);

describe('issueWithUniqueSerial', () => {
  it('signs again for a new serial when a random one is taken, and stores exactly one row per certificate', async () => {
    const store = storeOf();
    const serials = ['0a', '0a', '0b'];
    await issueWithUniqueSerial(
      store,
      () => serials.shift() as string,
      () => signed('A'),
      { requester: 'r', publicKeySha1: 'aa' },
    );
    const signedFor: string[] = [];
    const second = await issueWithUniqueSerial(
      store,
      () => serials.shift() as string,
      (serial) => {
        signedFor.push(serial);
        return signed(`B${serial}`);
      },
      { requester: 'r', publicKeySha1: 'bb' },
    );
    expect(signedFor).toEqual(['0a', '0b']);
    expect(second).toMatchObject({ serialHex: '0b', pem: 'B0b', replayed: false });
    expect((await store.get('0a'))?.pem).toBe('A');
    expect(counts()).toMatchObject({ certificates: 2, serial_reservations: 0 });
  });

  it('gives up after a few taken random serials, storing nothing', async () => {
    const store = storeOf();
    await issueWithUniqueSerial(
      store,
      () => '0a',
      () => signed('A'),
      { requester: 'r', publicKeySha1: 'aa' },
    );
    let signatures = 0;
    await expect(
      issueWithUniqueSerial(
        store,
        () => '0a',
        () => {
          signatures++;
          return signed('B');
        },
        { requester: 'r', publicKeySha1: 'bb' },
      ),
    ).rejects.toMatchObject({ code: 'ERR_CA_SERIAL' });
    expect(signatures).toBe(4);
    expect(counts()).toMatchObject({ certificates: 1, serial_reservations: 0 });
  });

  it('stores nothing and gives a fixed serial back when signing throws', async () => {
    const store = storeOf();
    const failing = () => {
      throw new Error('sign failed');
    };
    await expect(issueWithUniqueSerial(store, () => '0c', failing, { requester: 'r', publicKeySha1: 'aa' })).rejects.toThrow('sign failed');
    await expect(issueWithUniqueSerial(store, () => '0c', failing, { requester: 'r', publicKeySha1: 'aa', fixedSerial: true })).rejects.toThrow('sign failed');
    expect(counts()).toMatchObject({ certificates: 0, serial_reservations: 0 });
    // The serial was given back: nothing was signed with it.
    expect(
      (
        await issueWithUniqueSerial(
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
    await issueWithUniqueSerial(
      store,
      () => '0d',
      () => signed('A'),
      { requester: 'r', publicKeySha1: 'aa', fixedSerial: true },
    );
    await expect(
      issueWithUniqueSerial(
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

  it('signs outside any transaction and saves before returning; a random serial is not reserved, a fixed one is', async () => {
    const store = storeOf();
    const seen: { inTransaction: boolean; reserved: unknown[] }[] = [];
    const signer = (pem: string) => () => {
      seen.push({ inTransaction: temp.db.inTransaction, reserved: temp.db.prepare('SELECT serial_hex FROM serial_reservations').all() });
      return signed(pem);
    };
    const random = await issueWithUniqueSerial(store, () => '0e', signer('E'), { requester: 'r', publicKeySha1: 'aa' });
    // Reserved, in its own committed transaction, before the signer runs.
    const fixed = await issueWithUniqueSerial(store, () => '1e', signer('F'), { requester: 'r', publicKeySha1: 'aa', fixedSerial: true });
    expect(seen).toEqual([
      { inTransaction: false, reserved: [] },
      { inTransaction: false, reserved: [{ serial_hex: '1e' }] },
    ]);
    expect(await store.get(random.serialHex)).toMatchObject({ pem: 'E', status: 'valid' });
    expect(await store.get(fixed.serialHex)).toMatchObject({ pem: 'F', status: 'valid' });
    expect(counts().serial_reservations).toBe(0);
  });

  it('never hands out a serial reserved by an issuance that crashed before saving', async () => {
    const store = storeOf();
    // A crash between reserve and save: the reservation stays, nothing is stored.
    expect(await store.reserveSerials(['0f'], { requester: 'r' })).toEqual(['0f']);
    await expect(
      issueWithUniqueSerial(
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
        await issueWithUniqueSerial(
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
        issueWithUniqueSerial(
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

describe('a fixed serial and a random one', () => {
  it('never saves a random serial that a fixed-serial issuance holds while signing', async () => {
    const store = storeOf();
    const meta = { requester: 'r', publicKeySha1: 'aa' };
    const randoms = ['24', '25'];
    let random: string | undefined;
    const fixed = await issueWithUniqueSerial(
      store,
      () => '24',
      async () => {
        // Between the fixed serial's reservation and its save, a random issuance draws it.
        random = (
          await issueWithUniqueSerial(
            store,
            () => randoms.shift() as string,
            () => signed('R'),
            meta,
          )
        ).serialHex;
        return signed('X');
      },
      { ...meta, fixedSerial: true },
    );
    expect([fixed.serialHex, random]).toEqual(['24', '25']);
    expect((await store.get('24'))?.pem).toBe('X');
    expect(counts()).toMatchObject({ certificates: 2, serial_reservations: 0 });
  });
});

describe('the revocation secret saved with the certificate', () => {
  it('is stored in the save transaction under the serial, and not for a replay', async () => {
    const store = storeOf();
    const meta = { requester: 'client', publicKeySha1: 'aa', csrSha256: REQUEST, replayOf: REQUEST, revocationSecretDigest: D1 };
    const first = await issueWithUniqueSerial(
      store,
      () => '31',
      () => signed('S'),
      meta,
    );
    const again = await issueWithUniqueSerial(
      store,
      () => '32',
      () => signed('T'),
      { ...meta, revocationSecretDigest: 'd'.repeat(64) },
    );
    expect([first.replayed, again.replayed, again.serialHex]).toEqual([false, true, '31']);
    expect(temp.db.prepare('SELECT holder, digest FROM revocation_secrets').all()).toEqual([{ holder: 'serial:31', digest: D1 }]);
  });

  it('stores nothing when the serial is taken and the request is signed again', async () => {
    const store = storeOf();
    await issueWithUniqueSerial(
      store,
      () => '33',
      () => signed('A'),
      { requester: 'r', publicKeySha1: 'aa' },
    );
    const serials = ['33', '34'];
    await issueWithUniqueSerial(
      store,
      () => serials.shift() as string,
      () => signed('B'),
      { requester: 'r', publicKeySha1: 'bb', revocationSecretDigest: D3 },
    );
    expect(temp.db.prepare('SELECT holder, digest FROM revocation_secrets').all()).toEqual([{ holder: 'serial:34', digest: D3 }]);
  });
});
