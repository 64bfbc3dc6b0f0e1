import { describe, expect, it } from 'vitest';
import { decideEmailCertificate, nameForms, needsApproval } from './email-certificate-policy.js';

const ada = { firstName: 'Ada', middleName: 'B', lastName: 'Lovelace', codeSigning: false };
const confirmed = ['ada@example.org', 'A.L@example.net'];

describe('nameForms', () => {
  it.each([
    { name: 'with a middle name', input: ada, want: ['Ada Lovelace', 'Ada B Lovelace'] },
    { name: 'without one', input: { firstName: 'Bob', lastName: 'Builder' }, want: ['Bob Builder'] },
  ])('$name', ({ input, want }) => {
    expect(nameForms(input)).toEqual(want);
  });
});

describe('decideEmailCertificate', () => {
  it.each([
    { name: 'an unconfirmed address', input: { email: 'x@example.org', name: 'Ada Lovelace', codeSigning: false }, want: 'address_not_confirmed' },
    { name: 'a name form not offered', input: { email: 'ada@example.org', name: 'Ada B. Lovelace', codeSigning: false }, want: 'name_not_allowed' },
    { name: 'code signing without CS=1', input: { email: 'ada@example.org', name: 'Ada Lovelace', codeSigning: true }, want: 'codesign_not_allowed' },
  ])('refuses $name', ({ input, want }) => {
    const decision = decideEmailCertificate(ada, confirmed, input);
    expect(decision.ok).toBe(false);
    expect(!decision.ok && decision.reason).toBe(want);
  });

  it('certifies the stored spelling of the address, case-insensitively matched, with the chosen name form', () => {
    const decision = decideEmailCertificate({ ...ada, codeSigning: true }, confirmed, { email: 'a.l@EXAMPLE.net', name: 'Ada B Lovelace', codeSigning: true });
    expect(decision).toEqual({
      ok: true,
      profile: {
        subject: [
          { type: 'GN', value: 'Ada B' },
          { type: 'SN', value: 'Lovelace' },
          { type: 'emailAddress', value: 'A.L@example.net' },
        ],
        subjectAltNames: { dns: [], email: ['A.L@example.net'], ip: [] },
        extendedKeyUsage: ['emailProtection', 'clientAuth', 'codeSigning'],
      },
    });
  });

  it('needs approval only for installation tokens', () => {
    expect([needsApproval('password'), needsApproval('installation'), needsApproval('enrollment_secret')]).toEqual([false, true, false]);
  });
});
