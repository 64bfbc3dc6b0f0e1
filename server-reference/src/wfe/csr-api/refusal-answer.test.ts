import { describe, expect, it } from 'vitest';
import { REFUSAL_REASONS, type RefusalReason, refuse } from '../../ca/refusal.js';
import { csrApiRefusal } from './refusal-answer.js';

// One row per reason: the ssl_api code and status docs/protocol.md lists for it.
const cases: Array<{ reason: RefusalReason; want: { status: number; code: string } }> = [
  { reason: 'request_too_large', want: { status: 413, code: 'csr_too_large' } },
  { reason: 'malformed_request', want: { status: 400, code: 'csr_malformed' } },
  { reason: 'bad_signature', want: { status: 400, code: 'csr_bad_signature' } },
  { reason: 'weak_key', want: { status: 400, code: 'csr_weak_key' } },
  { reason: 'weak_signature_algorithm', want: { status: 400, code: 'csr_weak_signature_algorithm' } },
  { reason: 'unsupported_algorithm', want: { status: 400, code: 'csr_unsupported_algorithm' } },
  { reason: 'too_many_names', want: { status: 400, code: 'csr_too_many_names' } },
  { reason: 'cn_too_long', want: { status: 400, code: 'csr_cn_too_long' } },
  { reason: 'invalid_name', want: { status: 400, code: 'csr_invalid_name' } },
  { reason: 'ca_requested', want: { status: 400, code: 'csr_ca_requested' } },
  { reason: 'names_unsuitable', want: { status: 403, code: 'refused' } },
  { reason: 'address_not_confirmed', want: { status: 403, code: 'refused' } },
  { reason: 'name_not_allowed', want: { status: 403, code: 'refused' } },
  { reason: 'codesign_not_allowed', want: { status: 403, code: 'refused' } },
  { reason: 'policy_refused', want: { status: 403, code: 'refused' } },
  { reason: 'unauthenticated', want: { status: 403, code: 'refused' } },
  { reason: 'account_inactive', want: { status: 403, code: 'refused' } },
  { reason: 'rate_limited', want: { status: 503, code: 'unavailable' } },
];

describe('csrApiRefusal', () => {
  it('has a row for every reason', () => {
    expect(cases.map((c) => c.reason).sort()).toEqual([...REFUSAL_REASONS].sort());
  });

  it.each(cases)('writes $reason as $want.status $want.code with the message', ({ reason, want }) => {
    expect(csrApiRefusal(refuse(reason, 'the message'))).toEqual({ status: want.status, body: { error: { code: want.code, message: 'the message' } } });
  });

  it("keeps the authorize hook's answer byte for byte", () => {
    const { status, body } = csrApiRefusal(refuse('policy_refused', 'the CA policy refused this request'));
    expect([status, JSON.stringify(body)]).toEqual([403, '{"error":{"code":"refused","message":"the CA policy refused this request"}}']);
  });

  it('passes Retry-After on', () => {
    expect(csrApiRefusal(refuse('rate_limited', 'slow down', { retryAfterSeconds: 9 })).retryAfterSeconds).toBe(9);
  });
});
