import { describeKey, importPrivateKeyPem, keysMatch, parseCsr } from '@certwizard/pki';
import { describe, expect, it } from 'vitest';
import { createKeyAndCsr } from './key-and-csr.js';

describe('createKeyAndCsr', () => {
  it.each([
    { name: 'P-256 by default', keyType: undefined, want: { algorithm: 'ec', curve: 'P-256' } },
    { name: 'RSA 2048 on request', keyType: 'rsa2048' as const, want: { algorithm: 'rsa', bits: 2048 } },
  ])('makes a $name key and a request that carries the configured names', async ({ keyType, want }) => {
    const made = await createKeyAndCsr({
      ...(keyType ? { keyType } : {}),
      subject: [{ type: 'CN', value: 'mail.example.org' }],
      names: { dns: ['mail.example.org'], email: ['postmaster@example.org'] },
    });
    const csr = parseCsr(made.csrPem);
    expect(csr.subjectAltNames).toEqual({ dns: ['mail.example.org'], email: ['postmaster@example.org'], ip: [] });
    expect(csr.key).toMatchObject(want);
    expect(describeKey(made.privateKey)).toMatchObject(want);
    expect(keysMatch(importPrivateKeyPem(made.privateKeyPem), csr.publicKey)).toBe(true);
  });

  it('rejects with the signal reason when aborted, and refuses a missing names object', async () => {
    const reason = new Error('stop');
    await expect(createKeyAndCsr({ names: {}, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(createKeyAndCsr({} as never)).rejects.toThrow(TypeError);
  });

  it('passes pki name errors through with their code', async () => {
    await expect(createKeyAndCsr({ names: { dns: ['not a host name'] } })).rejects.toMatchObject({ code: 'ERR_PKI_INVALID_NAME' });
  });
});
