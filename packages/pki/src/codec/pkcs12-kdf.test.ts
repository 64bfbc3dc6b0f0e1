import { describe, expect, it } from 'vitest';
import { derivePkcs12Key, encodeBmpPassword, type Pkcs12KdfHash, type Pkcs12KdfPurpose } from './pkcs12-kdf.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/**
 * RFC 7292 appendix B.2 vectors. The "smeg" and "queeg" rows are the long-standing SHA-1
 * vectors of the BouncyCastle and OpenSSL PKCS#12 test suites; every row was recomputed with
 * OpenSSL 3.0's independent implementation:
 * `openssl kdf -keylen LEN -kdfopt digest:HASH -kdfopt hexpass:<BMP password + 0000>
 *  -kdfopt hexsalt:SALT -kdfopt id:ID -kdfopt iter:ITER PKCS12KDF`.
 */
const vectors: {
  name: string;
  hash: Pkcs12KdfHash;
  password: string;
  salt: string;
  purpose: Pkcs12KdfPurpose;
  iterations: number;
  want: string;
}[] = [
  {
    name: 'SHA-1 encryption key, one iteration (BouncyCastle vector)',
    hash: 'sha1',
    password: 'smeg',
    salt: '0A58CF64530D823F',
    purpose: 'encryption-key',
    iterations: 1,
    want: '8AAAE6297B6CB04642AB5B077851284EB7128F1A2A7FBCA3',
  },
  {
    name: 'SHA-1 IV uses diversifier 2',
    hash: 'sha1',
    password: 'smeg',
    salt: '0A58CF64530D823F',
    purpose: 'iv',
    iterations: 1,
    want: '79993DFE048D3B76',
  },
  {
    name: 'SHA-1 encryption key, 1000 iterations, output longer than one hash',
    hash: 'sha1',
    password: 'queeg',
    salt: '05DEC959ACFF72F7',
    purpose: 'encryption-key',
    iterations: 1000,
    want: 'ED2034E36328830FF09DF1E1A07DD357185DAC0D4F9EB3D4',
  },
  {
    name: 'SHA-1 MAC key uses diversifier 3',
    hash: 'sha1',
    password: 'queeg',
    salt: '05DEC959ACFF72F7',
    purpose: 'mac-key',
    iterations: 1000,
    want: '8E6F200E446345E726B49EF9C7899EDD9C498401',
  },
  {
    name: 'SHA-256 MAC key from a password longer than one 64-byte block',
    hash: 'sha256',
    password: 'a passphrase longer than one 64-byte hash input block, surely',
    salt: '000102030405060708090a0b0c0d0e0f',
    purpose: 'mac-key',
    iterations: 2048,
    want: '6A02D1DFCA7A105B6D3DD3B2D3A4B8D068031D1575E5D228EC67569417488A05',
  },
  {
    name: 'SHA-256 two output blocks with a 24-byte salt (step 6C adjusts I)',
    hash: 'sha256',
    password: 'two blocks',
    salt: '00112233445566778899aabbccddeeff0011223344556677',
    purpose: 'encryption-key',
    iterations: 3,
    want: '54F7A64CAE9F2543DA56D1F76FDBE4314A51506F08675C2563911041713C79ADDA0A184F9F2AD13BF9C73A693E6CDF464925F9493C83DE60B9ED3B5B6419FD33',
  },
  {
    name: 'SHA-256 four output blocks, truncated to 100 bytes',
    hash: 'sha256',
    password: 'x',
    salt: '00',
    purpose: 'mac-key',
    iterations: 1,
    want: '2150E4ECAFF0ECEAD92412AD3DED26FEFA8442C8F4766BFD6774131FF235476DDB5F29C88EA1893FAA91F7510DE0CCFF221CE04EBE216F70C3FDD12B3DE7B90C6BF092CD6187E6F945936F25A3CC87DD15A05B3AC46E8AC451A308B051657AF79E1EB5CC',
  },
  {
    name: 'SHA-256 with non-ASCII BMP characters',
    hash: 'sha256',
    password: 'Grüße €',
    salt: '0f0e0d0c0b0a0908',
    purpose: 'mac-key',
    iterations: 1,
    want: 'FAD4AD3A49D03D6457927608E334B37C61DF771596BD2E2DE74D4188F44364F7',
  },
  {
    name: 'SHA-256 with a character beyond the BMP (surrogate pair)',
    hash: 'sha256',
    password: '🔑 key',
    salt: '0f0e0d0c0b0a0908',
    purpose: 'mac-key',
    iterations: 1,
    want: '9BDD8A651A83F8297198186647FEDAA7C10320D60D6D976374575C3AC93CD576',
  },
  {
    name: 'SHA-512 uses 128-byte blocks',
    hash: 'sha512',
    password: 'sha-512 uses 128-byte blocks',
    salt: '5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a',
    purpose: 'mac-key',
    iterations: 1000,
    want: '2669B5E1A7846B20EEA4C22A9BF0BC40B458D822AACB9F8146D7F51D5997C214D4200C3B82665240B5711BEBD46E9EF9D5BFE99E2275F2DF4B63092351F4A14B',
  },
];

describe('derivePkcs12Key (RFC 7292 appendix B.2)', () => {
  it.each(vectors)('$name', ({ hash, password, salt, purpose, iterations, want }) => {
    const got = derivePkcs12Key(encodeBmpPassword(password), fromHex(salt), {
      purpose,
      iterations,
      length: want.length / 2,
      hash,
    });
    expect(hex(got)).toBe(want);
  });

  it('defaults to SHA-256', () => {
    const salt = fromHex('0f0e0d0c0b0a0908');
    const password = encodeBmpPassword('Grüße €');
    const implicit = derivePkcs12Key(password, salt, { purpose: 'mac-key', iterations: 1, length: 32 });
    expect(hex(implicit)).toBe('FAD4AD3A49D03D6457927608E334B37C61DF771596BD2E2DE74D4188F44364F7');
  });

  it('does not modify the password or salt it is given', () => {
    const password = encodeBmpPassword('two blocks');
    const salt = fromHex('00112233445566778899aabbccddeeff0011223344556677');
    const before = [hex(password), hex(salt)];
    derivePkcs12Key(password, salt, { purpose: 'encryption-key', iterations: 1, length: 64 });
    expect([hex(password), hex(salt)]).toEqual(before);
  });

  const misuse: { name: string; call: () => unknown }[] = [
    {
      name: 'zero iterations',
      call: () => derivePkcs12Key(new Uint8Array(2), new Uint8Array(8), { purpose: 'mac-key', iterations: 0, length: 32 }),
    },
    {
      name: 'fractional length',
      call: () => derivePkcs12Key(new Uint8Array(2), new Uint8Array(8), { purpose: 'mac-key', iterations: 1, length: 1.5 }),
    },
    {
      name: 'unknown hash',
      call: () =>
        derivePkcs12Key(new Uint8Array(2), new Uint8Array(8), {
          purpose: 'mac-key',
          iterations: 1,
          length: 32,
          hash: 'md5' as Pkcs12KdfHash,
        }),
    },
    {
      name: 'unknown purpose',
      call: () =>
        derivePkcs12Key(new Uint8Array(2), new Uint8Array(8), {
          purpose: 'toString' as Pkcs12KdfPurpose,
          iterations: 1,
          length: 32,
        }),
    },
    {
      name: 'password as a string',
      call: () =>
        derivePkcs12Key('secret' as unknown as Uint8Array, new Uint8Array(8), {
          purpose: 'mac-key',
          iterations: 1,
          length: 32,
        }),
    },
  ];
  it.each(misuse)('rejects $name with a TypeError', ({ call }) => {
    expect(call).toThrow(TypeError);
  });
});

describe('encodeBmpPassword (RFC 7292 appendix B.1)', () => {
  const cases: { name: string; input: string; want: string }[] = [
    { name: 'ASCII becomes UTF-16BE plus a two-byte terminator', input: 'smeg', want: '0073006D006500670000' },
    { name: 'the empty password is only the terminator', input: '', want: '0000' },
    { name: 'BMP characters keep their code unit', input: 'ü€', want: '00FC20AC0000' },
    { name: 'a supplementary character becomes a surrogate pair', input: '🔑', want: 'D83DDD110000' },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    expect(hex(encodeBmpPassword(input))).toBe(want);
  });

  it('rejects a lone surrogate, which UTF-8 peers cannot reproduce', () => {
    expect(() => encodeBmpPassword('a\uD800b')).toThrow(TypeError);
  });
});
