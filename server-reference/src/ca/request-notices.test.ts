import { describe, expect, it } from 'vitest';
import type { Account } from '../accounts/account-store.js';
import { silentLogger } from '../log.js';
import type { MailMessage } from '../mail/mailer.js';
import type { CertificateRequestRecord } from '../store/certificate-requests.js';
import { mailedRequestNotices, type RequestDecision } from './request-notices.js';

const record = (over: Partial<CertificateRequestRecord>): CertificateRequestRecord => ({
  id: 'q3k0c4mN1vYb7s2L9xW8aQ',
  accountId: 1,
  csrPem: '',
  subject: '',
  profile: { subject: [], subjectAltNames: { dns: ['www.example.org'], email: ['ada@example.org'], ip: [] }, extendedKeyUsage: [] },
  keyDescription: 'ECDSA P-256',
  fingerprintSha256: 'ab'.repeat(32),
  source: 'installation',
  installationTokenId: 3,
  approver: 'owner',
  status: 'pending',
  createdAtMs: 0,
  ...over,
});

function notices(options: { failing?: boolean } = {}) {
  const sent: MailMessage[] = [];
  const errors: string[] = [];
  const n = mailedRequestNotices({
    accounts: { get: async (id) => (id === 1 ? ({ id: 1, email: 'ada@example.org', firstName: 'Ada' } as Account) : undefined) },
    tokens: { listTokens: async () => [{ id: 3, label: 'mail server on host1', createdAtMs: 0 }] },
    mailer: {
      send: async (m) => {
        if (options.failing) throw new Error('relay down');
        sent.push(m);
      },
    },
    logger: { ...silentLogger, error: (msg) => void errors.push(msg) },
    publicUrl: 'https://ca.example.test',
  });
  return { n, sent, errors };
}

describe('mailedRequestNotices', () => {
  it.each([
    { name: 'a request an installation sent, held for the owner', record: {}, want: 'A certificate request waits for your approval' },
    { name: 'a request held for an operator', record: { approver: 'operator' as const }, want: undefined },
    { name: 'a request kept with the registration', record: { source: 'registration' as const }, want: undefined },
    { name: 'a request of an account that is gone', record: { accountId: 2 }, want: undefined },
  ])('held: $name', async ({ record: over, want }) => {
    const { n, sent } = notices();
    await n.held?.(record(over));
    expect(sent.map((m) => m.subject)).toEqual(want === undefined ? [] : [want]);
    if (want !== undefined) {
      expect(sent[0]?.to).toBe('ada@example.org');
      expect(sent[0]?.text).toContain('mail server on host1 asked for a certificate in your name.');
      expect(sent[0]?.text).toContain('https://ca.example.test/account');
    }
  });

  it.each<{ name: string; decision: RequestDecision; want?: string }>([
    { name: 'an operator approved', decision: { kind: 'approved', by: { operator: 1 } }, want: 'was approved; the certificate is issued.' },
    { name: 'an operator rejected', decision: { kind: 'rejected', by: { operator: 1 }, reason: 'not yours' }, want: 'The reason given:\n\n  not yours' },
    { name: 'the owner approved', decision: { kind: 'approved', by: { owner: 1 } } },
    { name: 'the owner discarded', decision: { kind: 'discarded', by: { owner: 1 } } },
  ])('decided: $name', async ({ decision, want }) => {
    const { n, sent } = notices();
    await n.decided?.(record({ approver: 'operator' }), decision);
    expect(sent).toHaveLength(want === undefined ? 0 : 1);
    if (want !== undefined) {
      expect(sent[0]?.subject).toBe('Your certificate request was decided');
      expect(sent[0]?.text).toContain(`Your request q3k0c4mN1vYb7s2L9xW8aQ for a certificate for www.example.org ${want.startsWith('was') ? want : ''}`);
      expect(sent[0]?.text).toContain(want);
    }
  });

  it('logs a mail that fails instead of throwing', async () => {
    const { n, errors } = notices({ failing: true });
    await expect(n.held?.(record({}))).resolves.toBeUndefined();
    expect(errors).toEqual(['pending request mail failed']);
  });
});
