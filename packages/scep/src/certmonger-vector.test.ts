import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptEnvelope, parseScepRequest } from '@certwizard/scep';

const dir = new URL('./test-vectors/', import.meta.url);
const read = (name: string): Buffer => readFileSync(new URL(name, dir));

describe('the captured certmonger 0.79 PKCSReq', () => {
  it('parses, verifies and decrypts to the CSR certmonger sent', () => {
    const request = parseScepRequest(read('pkiop1.der'));
    expect(request.messageType).toBe('PKCSReq');
    expect(request.transactionId).toMatch(/^[0-9]{10,}$/);
    expect(request.senderNonce).toHaveLength(16);
    expect(request.digest).toBe('sha256');
    expect(request.signingTime).toBeInstanceOf(Date);
    expect(Buffer.from(request.envelopeDer).equals(read('pkiop1-envelope.der'))).toBe(true);
    const ra = {
      certificateDer: new Uint8Array(new X509Certificate(read('ra.pem')).raw),
      privateKey: createPrivateKey(read('ra.key')),
    };
    const csr = decryptEnvelope(request.envelopeDer, ra);
    expect(Buffer.from(csr).equals(read('pkiop1-csr.der'))).toBe(true);
    const text = Buffer.from(csr).toString('latin1');
    expect(text).toContain('scep-client.example.com');
    expect(text).toContain('secretpin');
  });
});
