import { describe, expect, it } from 'vitest';
import { REFUSAL_REASONS, type RefusalReason, refuse } from '../../ca/refusal.js';
import { cacertFailure } from './answer-writer.js';

// One row per reason, with the message the CA gives where docs/protocol.md pins the whole line.
const cases: Array<{ reason: RefusalReason; message?: string; want: string }> = [
  { reason: 'request_too_large', want: '400,csr_too_large ' },
  { reason: 'malformed_request', want: '400,csr_malformed ' },
  { reason: 'bad_signature', want: '400,csr_bad_signature ' },
  { reason: 'weak_key', want: '400,csr_weak_key ' },
  { reason: 'weak_signature_algorithm', want: '400,csr_weak_signature_algorithm ' },
  { reason: 'unsupported_algorithm', want: '400,csr_unsupported_algorithm ' },
  { reason: 'too_many_names', want: '400,csr_too_many_names ' },
  { reason: 'cn_too_long', want: '400,csr_cn_too_long ' },
  { reason: 'invalid_name', want: '400,csr_invalid_name ' },
  { reason: 'ca_requested', want: '400,csr_ca_requested ' },
  { reason: 'names_unsuitable', want: '400,invalid_request ' },
  {
    reason: 'address_not_confirmed',
    message: 'the address is not a confirmed address of this account',
    want: '403,address_not_confirmed the address is not a confirmed address of this account\n',
  },
  {
    reason: 'name_not_allowed',
    message: 'the name is not one of the NAME values of cemails',
    want: '403,name_not_allowed the name is not one of the NAME values of cemails\n',
  },
  {
    reason: 'codesign_not_allowed',
    message: 'this account may not request code signing certificates (CS=0)',
    want: '403,codesign_not_allowed this account may not request code signing certificates (CS=0)\n',
  },
  { reason: 'policy_refused', message: 'the CA policy refused this request', want: '403,refused the CA policy refused this request\n' },
  { reason: 'unauthenticated', message: 'Authentication failed', want: '401,authentication_failed Authentication failed\n' },
  { reason: 'account_inactive', message: 'the account address is not confirmed yet', want: '403,account_inactive the account address is not confirmed yet\n' },
  { reason: 'rate_limited', message: 'too many attempts; retry later', want: '429,too_many_requests too many attempts; retry later\n' },
];

describe('cacertFailure', () => {
  it('has a row for every reason', () => {
    expect(cases.map((c) => c.reason).sort()).toEqual([...REFUSAL_REASONS].sort());
  });

  it.each(cases)('writes $reason as $want', ({ reason, message, want }) => {
    const { status, body } = cacertFailure(refuse(reason, message ?? 'the message'));
    expect(body).toBe(message === undefined ? `${want}the message\n` : want);
    expect(status).toBe(Number(want.slice(0, 3)));
  });

  it('keeps a refusal on one line, and passes Retry-After on', () => {
    expect(cacertFailure(refuse('malformed_request', 'certificate request:\r\nbad\nDER')).body).toBe('400,csr_malformed certificate request: bad DER\n');
    expect(cacertFailure(refuse('rate_limited', 'too many attempts; retry later', { retryAfterSeconds: 12 })).retryAfterSeconds).toBe(12);
  });

  it("writes the front end's own failures as they are", () => {
    expect(cacertFailure({ ok: false, code: 'csr_required', message: 'send the PEM request in the field csr, once' })).toEqual({
      status: 400,
      body: '400,csr_required send the PEM request in the field csr, once\n',
    });
  });
});
