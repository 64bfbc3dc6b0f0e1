import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SCEP_MAX_MESSAGE_BYTES,
  ScepError,
  buildCertRep,
  buildCertsOnly,
  buildIssuerAndSerial,
  buildIssuerAndSubject,
  buildScepRequest,
  createTransientSigner,
  decryptEnvelope,
  formatCaCaps,
  parseCaCaps,
  parseCaCertResponse,
  parseCertRep,
  parseIssuerAndSerial,
  parseIssuerAndSubject,
  parseScepRequest,
  transactionIdOf,
  type ScepContentEncryption,
  type ScepReply,
} from '@certwizard/scep';
import { capturedRa, cnName, crlStandIn, openssl, pem, requester, tempDir, vector } from './test-support/fixtures.js';
import { verifySignedData } from './signed-data.js';

const ra = capturedRa();
const dirs: { remove: () => void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
function temp(): ReturnType<typeof tempDir> {
  const d = tempDir();
  dirs.push(d);
  return d;
}

function expectScepError(fn: () => unknown, code: ScepError['code']): ScepError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ScepError);
    expect((error as ScepError).code).toBe(code);
    return error as ScepError;
  }
  throw new Error(`expected ${code}`);
}

const csr = vector('pkiop1-csr.der');

describe('requests', () => {
  it.each<ScepContentEncryption>(['aes-128-cbc', 'aes-256-cbc', 'des-ede3-cbc'])('round-trips a PKCSReq with %s', (contentEncryption) => {
    const me = requester();
    const tid = transactionIdOf(createPublicKey(me.privateKey).export({ format: 'der', type: 'spki' }));
    const { der, senderNonce } = buildScepRequest({
      messageType: 'PKCSReq',
      transactionId: tid,
      content: csr,
      recipientCertificateDer: ra.certificateDer,
      signer: me,
      contentEncryption,
    });
    const parsed = parseScepRequest(der);
    expect(parsed.messageType).toBe('PKCSReq');
    expect(parsed.transactionId).toBe(tid);
    expect(Buffer.from(parsed.senderNonce).equals(Buffer.from(senderNonce))).toBe(true);
    expect(Buffer.from(parsed.signerCertificateDer).equals(Buffer.from(me.certificateDer))).toBe(true);
    expect(Buffer.from(decryptEnvelope(parsed.envelopeDer, ra)).equals(csr)).toBe(true);
  });

  it('makes transient signer certificates OpenSSL parses, with a 16-byte serial of no leading zero, every time', () => {
    // A random serial starting 0x00 0x00-0x7f is a non-minimal INTEGER OpenSSL refuses (one in
    // 256 used to be); the check below refuses any leading 0x00 (one in 128 used to have one), so
    // 1000 tries catch the old code with probability 1 - (127/128)^1000 > 0.9995.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    for (let i = 0; i < 1000; i += 1) {
      const { certificateDer } = createTransientSigner({ privateKey, subjectDer: cnName('serial') });
      expect(new X509Certificate(certificateDer).serialNumber).toMatch(/^(0[1-9A-F]|[1-7][0-9A-F])[0-9A-F]{30}$/);
    }
  });

  it('builds a request openssl verifies and decrypts with the RA key', async () => {
    const me = requester();
    const { der } = buildScepRequest({
      messageType: 'PKCSReq',
      transactionId: 'abc',
      content: csr,
      recipientCertificateDer: ra.certificateDer,
      signer: me,
      digest: 'sha512',
    });
    const t = temp();
    const envelope = await openssl(['cms', '-verify', '-inform', 'DER', '-in', t.file('req.der', der), '-noverify', '-binary']);
    const plain = await openssl([
      'cms',
      '-decrypt',
      '-inform',
      'DER',
      '-in',
      t.file('env.der', envelope),
      '-binary',
      '-recip',
      t.file('ra.pem', vector('ra.pem')),
      '-inkey',
      t.file('ra.key', vector('ra.key')),
    ]);
    expect(plain.equals(csr)).toBe(true);
  });

  it('verifies SHA-1, SHA-256 and SHA-512 signatures made by openssl', async () => {
    const t = temp();
    for (const md of ['sha1', 'sha256', 'sha512'] as const) {
      const der = await openssl([
        'cms',
        '-sign',
        '-binary',
        '-nodetach',
        '-outform',
        'DER',
        '-md',
        md,
        '-signer',
        t.file('ra.pem', vector('ra.pem')),
        '-inkey',
        t.file('ra.key', vector('ra.key')),
        '-in',
        t.file('content', 'hello'),
      ]);
      const verified = verifySignedData(new Uint8Array(der), 'test');
      expect(verified.digest).toBe(md);
      expect(Buffer.from(verified.content).toString()).toBe('hello');
    }
  });

  it('finds the signer by subjectKeyIdentifier, and refuses a message without the signer certificate', async () => {
    const t = temp();
    const sign = (extra: string[]): Promise<Buffer> =>
      openssl([
        'cms',
        '-sign',
        '-binary',
        '-nodetach',
        '-outform',
        'DER',
        ...extra,
        '-signer',
        t.file('ra.pem', vector('ra.pem')),
        '-inkey',
        t.file('ra.key', vector('ra.key')),
        '-in',
        t.file('content', 'hello'),
      ]);
    const byKeyId = verifySignedData(new Uint8Array(await sign(['-keyid'])), 'test');
    expect(Buffer.from(byKeyId.signerCertificateDer).equals(Buffer.from(ra.certificateDer))).toBe(true);
    const noCerts = new Uint8Array(await sign(['-nocerts']));
    expectScepError(() => verifySignedData(noCerts, 'test'), 'ERR_SCEP_SIGNATURE');
    // With the signer pinned, its certificate need not travel in the message.
    expect(verifySignedData(noCerts, 'test', ra.certificateDer).digest).toBe('sha256');
  });

  it('refuses bad input with the right codes', () => {
    const me = requester();
    const { der } = buildScepRequest({
      messageType: 'GetCert',
      transactionId: 't',
      content: buildIssuerAndSerial(cnName('CA'), '01'),
      recipientCertificateDer: ra.certificateDer,
      signer: me,
    });
    expectScepError(() => parseScepRequest(new Uint8Array(SCEP_MAX_MESSAGE_BYTES + 1)), 'ERR_SCEP_TOO_LARGE');
    expectScepError(() => parseScepRequest(der.subarray(0, der.length - 10)), 'ERR_SCEP_MALFORMED');
    expectScepError(() => parseScepRequest(Buffer.from('not der at all')), 'ERR_SCEP_MALFORMED');
    expectScepError(() => parseScepRequest(new Uint8Array([...der, 0])), 'ERR_SCEP_MALFORMED');
    // Signed by a key that is not the signer certificate's.
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = buildScepRequest({
      messageType: 'PKCSReq',
      transactionId: 't',
      content: csr,
      recipientCertificateDer: ra.certificateDer,
      signer: { certificateDer: me.certificateDer, privateKey: other },
    }).der;
    expectScepError(() => parseScepRequest(forged), 'ERR_SCEP_SIGNATURE');
    // Content tampered after signing: flip a byte deep in the envelope's ciphertext.
    const tampered = Uint8Array.from(der);
    const at = Buffer.from(der).indexOf(Buffer.from(me.certificateDer)) - 40;
    tampered[at] = (tampered[at] ?? 0) ^ 1;
    expectScepError(() => parseScepRequest(tampered), 'ERR_SCEP_SIGNATURE');
  });
});

describe('decryptEnvelope', () => {
  // The captured envelope is fixed bytes, so each tampering below fails the same way on every
  // run (a fresh random envelope would pass the CBC padding check by chance 1 time in 256).
  function envelope(): Uint8Array {
    return new Uint8Array(vector('pkiop1-envelope.der'));
  }
  function flip(bytes: Uint8Array, at: number): Uint8Array {
    const copy = Uint8Array.from(bytes);
    copy[at] = (copy[at] ?? 0) ^ 0x55;
    return copy;
  }

  it('gives one error, one message, for a tampered key transport, a wrong recipient and a tampered ciphertext', () => {
    const env = envelope();
    // The encrypted key is the 256-byte OCTET STRING after the rsaEncryption AlgorithmIdentifier.
    const keyAt = Buffer.from(env).indexOf(Buffer.from([0x04, 0x82, 0x01, 0x00])) + 4 + 100;
    const messages = [
      expectScepError(() => decryptEnvelope(flip(env, keyAt), ra), 'ERR_SCEP_DECRYPT').message,
      expectScepError(() => decryptEnvelope(env, requester()), 'ERR_SCEP_DECRYPT').message,
      expectScepError(() => decryptEnvelope(flip(env, env.length - 20), ra), 'ERR_SCEP_DECRYPT').message,
      expectScepError(() => decryptEnvelope(Buffer.from('junk'), ra), 'ERR_SCEP_DECRYPT').message,
    ];
    expect(new Set(messages).size).toBe(1);
  });
});

describe('CertRep', () => {
  function reply(me = requester(), nonce = new Uint8Array(16).fill(7)): Uint8Array {
    return buildCertRep({
      reply: { status: 'SUCCESS', certificatesDer: [capturedRa().certificateDer] },
      transactionId: 'tid-1',
      recipientNonce: nonce,
      signer: ra,
      recipientCertificateDer: me.certificateDer,
    });
  }

  it('builds a SUCCESS openssl verifies and decrypts', async () => {
    const me = requester();
    const der = reply(me);
    const t = temp();
    const envelope = await openssl([
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      t.file('rep.der', der),
      '-binary',
      '-CAfile',
      t.file('ca.pem', vector('ca.pem')),
      '-purpose',
      'any',
    ]);
    const certsOnly = await openssl([
      'cms',
      '-decrypt',
      '-inform',
      'DER',
      '-in',
      t.file('env.der', envelope),
      '-binary',
      '-recip',
      t.file('me.pem', pem(me.certificateDer)),
      '-inkey',
      t.file('me.key', me.privateKey.export({ format: 'pem', type: 'pkcs8' })),
    ]);
    const printed = await openssl(['pkcs7', '-inform', 'DER', '-in', t.file('p7.der', certsOnly), '-print_certs', '-noout']);
    expect(printed.toString()).toContain('subject=');
  });

  it('round-trips SUCCESS, CRL, PENDING and FAILURE through parseCertRep', () => {
    const me = requester();
    const nonce = new Uint8Array(16).fill(9);
    const check = { raCertificateDer: ra.certificateDer, transactionId: 'tid-1', senderNonce: nonce, recipient: me };
    const ok = parseCertRep(reply(me, nonce), check);
    expect(ok.status).toBe('SUCCESS');
    expect('certificatesDer' in ok && Buffer.from(ok.certificatesDer[0] ?? []).equals(Buffer.from(ra.certificateDer))).toBe(true);
    for (const r of [{ status: 'PENDING' }, { status: 'FAILURE', failInfo: 'badCertId' }, { status: 'SUCCESS', crlDer: crlStandIn() }] as const) {
      const parsed = parseCertRep(
        buildCertRep({ reply: r, transactionId: 'tid-1', recipientNonce: nonce, signer: ra, recipientCertificateDer: me.certificateDer }),
        check,
      );
      expect(parsed.status).toBe(r.status);
      if (r.status === 'FAILURE') expect(parsed).toMatchObject({ failInfo: 'badCertId' });
      if ('crlDer' in r) expect(Buffer.from((parsed as { crlDer: Uint8Array }).crlDer).equals(Buffer.from(r.crlDer))).toBe(true);
    }
  });

  it('refuses another signer, another transactionID and another nonce with ERR_SCEP_CERTREP', () => {
    const me = requester();
    const nonce = new Uint8Array(16).fill(1);
    const der = reply(me, nonce);
    const check = { raCertificateDer: ra.certificateDer, transactionId: 'tid-1', senderNonce: nonce, recipient: me };
    expectScepError(() => parseCertRep(der, { ...check, raCertificateDer: requester().certificateDer }), 'ERR_SCEP_CERTREP');
    expectScepError(() => parseCertRep(der, { ...check, transactionId: 'tid-2' }), 'ERR_SCEP_CERTREP');
    expectScepError(() => parseCertRep(der, { ...check, senderNonce: new Uint8Array(16).fill(2) }), 'ERR_SCEP_CERTREP');
    const impostor = requester('ra.example.com');
    const forged = buildCertRep({
      reply: { status: 'PENDING' },
      transactionId: 'tid-1',
      recipientNonce: nonce,
      signer: impostor,
      recipientCertificateDer: me.certificateDer,
    });
    expectScepError(() => parseCertRep(forged, check), 'ERR_SCEP_CERTREP');
    expect(() =>
      buildCertRep({
        reply: { status: 'PENDING' },
        transactionId: 't',
        recipientNonce: nonce,
        signer: ra,
        recipientCertificateDer: me.certificateDer,
        digest: 'sha1',
      }),
    ).toThrow(TypeError);
  });
});

describe('small contents, CA certificates and capabilities', () => {
  it('round-trips IssuerAndSubject and IssuerAndSerial', () => {
    const issuer = cnName('Issuer');
    const subject = cnName('Subject');
    const ias = parseIssuerAndSubject(buildIssuerAndSubject(issuer, subject));
    expect(Buffer.from(ias.issuerDer).equals(Buffer.from(issuer))).toBe(true);
    expect(Buffer.from(ias.subjectDer).equals(Buffer.from(subject))).toBe(true);
    expect(parseIssuerAndSerial(buildIssuerAndSerial(issuer, '00ff10')).serialHex).toBe('00ff10');
    expectScepError(() => parseIssuerAndSerial(buildIssuerAndSubject(issuer, subject)), 'ERR_SCEP_MALFORMED');
  });

  it('builds certs-only answers openssl reads and picks the RA and the CA', async () => {
    const caDer = new Uint8Array(new X509Certificate(vector('ca.pem')).raw);
    const body = buildCertsOnly([ra.certificateDer, caDer]);
    const t = temp();
    const printed = await openssl(['pkcs7', '-inform', 'DER', '-in', t.file('p7.der', body), '-print_certs', '-noout']);
    expect(printed.toString().match(/subject=/g)).toHaveLength(2);
    const parsed = parseCaCertResponse(body, 'application/x-x509-ca-ra-cert');
    expect(parsed.certificatesDer).toHaveLength(2);
    expect(Buffer.from(parsed.caCertificateDer).equals(Buffer.from(caDer))).toBe(true);
    expect(Buffer.from(parsed.raCertificateDer).equals(Buffer.from(ra.certificateDer))).toBe(true);
    const single = parseCaCertResponse(caDer, 'application/x-x509-ca-cert');
    expect(single.raCertificateDer).toBe(caDer);
    expectScepError(() => parseCaCertResponse(Buffer.from('x'), 'application/x-x509-ca-ra-cert'), 'ERR_SCEP_MALFORMED');
  });

  it('writes DER: openssl re-encodes every kind of message it builds to the same bytes', async () => {
    const me = requester();
    const request = buildScepRequest({ messageType: 'PKCSReq', transactionId: 'der', content: csr, recipientCertificateDer: ra.certificateDer, signer: me });
    const certRep = (reply: ScepReply): Uint8Array =>
      buildCertRep({ reply, transactionId: 'der', recipientNonce: request.senderNonce, signer: ra, recipientCertificateDer: me.certificateDer });
    const t = temp();
    // The envelope is the eContent: openssl hands it back verbatim once the signature verifies.
    const envelope = await openssl(['cms', '-verify', '-inform', 'DER', '-in', t.file('req.der', request.der), '-noverify', '-binary']);
    const messages: [string, Uint8Array][] = [
      ['request', request.der],
      ['envelope', envelope],
      ['success', certRep({ status: 'SUCCESS', certificatesDer: [ra.certificateDer] })],
      ['crl', certRep({ status: 'SUCCESS', crlDer: crlStandIn() })],
      ['pending', certRep({ status: 'PENDING' })],
      ['failure', certRep({ status: 'FAILURE', failInfo: 'badRequest' })],
      ['certs-only', buildCertsOnly([ra.certificateDer, new Uint8Array(new X509Certificate(vector('ca.pem')).raw)])],
    ];
    for (const [name, der] of messages) {
      const again = await openssl(['cms', '-cmsout', '-inform', 'DER', '-outform', 'DER', '-in', t.file(`${name}.der`, der)]);
      expect(again.equals(Buffer.from(der)), name).toBe(true);
    }
  });

  it('formats and parses GetCACaps', () => {
    expect(formatCaCaps(['AES', 'POSTPKIOperation', 'SHA-256'])).toBe('AES\nPOSTPKIOperation\nSHA-256');
    expect(parseCaCaps(' AES\r\n\r\nSHA-256 \nRenewal\n')).toEqual(['AES', 'SHA-256', 'Renewal']);
  });
});
