import { describe, expect, it } from 'vitest';
import type { EnrollFlowEvent, WizardEvent, WizardEventRecord } from '@certwizard/wizard';
import { INITIAL_PROGRESS, reduceProgress, stepOf, stepsFor, type LocalState, type Progress, type Step } from './progress.js';

let id = 0;
const rec = (event: WizardEvent): WizardEventRecord => ({ id: ++id, at: '2026-01-02T03:04:05.000Z', event });
const flow = (event: EnrollFlowEvent, run = 1): WizardEventRecord => rec({ type: 'flow', run, event });
const fold = (records: WizardEventRecord[], from: Progress = INITIAL_PROGRESS) => records.reduce(reduceProgress, from);
const closed: LocalState = { step: 'key', pageOpened: false };
const opened: LocalState = { step: 'key', pageOpened: true };

const INSTALLED: WizardEvent = {
  type: 'installed',
  run: 1,
  resumed: false,
  accountEmail: 'ada@example.org',
  installed: {
    name: 'mail',
    version: 1,
    paths: { privkey: '/k', cert: '/c', chain: '/ch', fullchain: '/f' },
    fingerprintSha256: 'AB',
    notAfter: '2027-01-01T00:00:00.000Z',
    names: ['ada@example.org'],
  },
};

describe('stepOf', () => {
  it.each<{ name: string; local: LocalState; want: Step }>([
    { name: 'welcome', local: { step: 'welcome', pageOpened: false }, want: 'welcome' },
    { name: 'details', local: { step: 'details', pageOpened: false }, want: 'details' },
    { name: 'key', local: { step: 'key', pageOpened: false }, want: 'key' },
  ])('before a run, the page decides: $name', ({ local, want }) => {
    expect(stepOf(INITIAL_PROGRESS, local)).toBe(want);
  });

  it('follows a run from the key to the end', () => {
    const steps: Step[] = [];
    let p = fold([rec({ type: 'run-started', run: 1, keyType: 'p256' }), flow({ type: 'step', step: 'prepare-key', resumed: false })]);
    steps.push(stepOf(p, closed));
    p = fold(
      [flow({ type: 'step', step: 'register', resumed: false }), flow({ type: 'address-confirmation', address: 'ada@example.org', automatic: false })],
      p,
    );
    steps.push(stepOf(p, closed));
    p = fold([rec({ type: 'registration-page', run: 1, url: 'https://ca.example/index.php?id=1&ticket=T' })], p);
    steps.push(stepOf(p, closed), stepOf(p, opened));
    p = fold([flow({ type: 'registration', event: { type: 'registered', via: 'ticket', emailAddress: 'ada@example.org' } })], p);
    steps.push(stepOf(p, opened));
    p = fold([flow({ type: 'step', step: 'verify-email', resumed: false }), flow({ type: 'step', step: 'submit', resumed: false })], p);
    steps.push(stepOf(p, opened));
    p = fold([rec(INSTALLED)], p);
    steps.push(stepOf(p, opened));
    p = fold([rec({ type: 'finished' })], p);
    steps.push(stepOf(p, opened));
    expect(steps).toEqual(['key', 'register', 'register', 'confirm', 'approval', 'approval', 'installed', 'done']);
    expect(p.address.automatic).toBe(false);
    expect(p.running).toBe(false);
  });

  it('the agent callback moves to the confirmation even when the page was opened elsewhere (a reload lost the local mark)', () => {
    const p = fold([
      rec({ type: 'run-started', run: 1, keyType: 'p256' }),
      flow({ type: 'step', step: 'register', resumed: false }),
      rec({ type: 'registration-page', run: 1, url: 'https://ca.example/r' }),
      flow({ type: 'registration', event: { type: 'callback-received', kind: 'continue' } }),
    ]);
    expect(stepOf(p, closed)).toBe('confirm');
  });

  it('verify-email with a ping shows the confirmation until the address is confirmed', () => {
    let p = fold([
      rec({ type: 'run-started', run: 1, keyType: 'p256' }),
      flow({ type: 'step', step: 'verify-email', resumed: true }),
      flow({ type: 'address', event: { type: 'ping-sent', address: 'ops@example.org', automatic: true } }),
      flow({ type: 'address', event: { type: 'waiting', address: 'ops@example.org', delayMs: 2000 } }),
    ]);
    expect(stepOf(p, closed)).toBe('confirm');
    expect(p.address).toEqual({ automatic: true, pingSentTo: 'ops@example.org', confirmed: false, checkedAt: '2026-01-02T03:04:05.000Z' });
    p = fold([flow({ type: 'address', event: { type: 'confirmed', address: 'ops@example.org', alreadyConfirmed: false } })], p);
    expect(stepOf(p, closed)).toBe('approval');
  });
});

describe('reduceProgress', () => {
  it("keeps the ticket's user code from the flow, also for a resumed registration (RFC 8628 §5.4)", () => {
    const started = rec({ type: 'run-started', run: 1, keyType: 'p256' });
    expect(fold([started, flow({ type: 'registration', event: { type: 'ticket-issued', userCode: 'WDJB-MJHT' } })]).registration.userCode).toBe('WDJB-MJHT');
    expect(fold([started, flow({ type: 'registration', event: { type: 'resumed', userCode: 'BCDF-GHJK' } })]).registration.userCode).toBe('BCDF-GHJK');
    expect(fold([started, flow({ type: 'registration', event: { type: 'ticket-issued' } })]).registration.userCode).toBeUndefined();
  });

  it('a failure stays until the next run, which keeps the step (no flash back to the key step)', () => {
    let p = fold([
      rec({ type: 'run-started', run: 1, keyType: 'p384' }),
      flow({ type: 'step', step: 'register', resumed: false }),
      rec({ type: 'run-failed', run: 1, failure: { code: 'ERR_SDK_CA_UNREACHABLE', message: 'down', hint: 'press Retry' } }),
    ]);
    expect(p.failure?.code).toBe('ERR_SDK_CA_UNREACHABLE');
    expect(p.running).toBe(false);
    p = fold([rec({ type: 'run-started', run: 2, keyType: 'p384' })], p);
    expect(p.failure).toBeUndefined();
    expect(p.running).toBe(true);
    expect(stepOf(p, closed)).toBe('register');
    expect(p.run).toEqual({ id: 2, keyType: 'p384' });
  });

  it('a retried run forgets the old request, so a discarded one is not shown as waiting', () => {
    const p = fold([
      rec({ type: 'run-started', run: 1, keyType: 'p256' }),
      flow({ type: 'step', step: 'await-issue', resumed: false }),
      flow({ type: 'enrollment', event: { type: 'pending', requestId: 'old' } }),
      rec({ type: 'run-failed', run: 1, failure: { code: 'ERR_SDK_ENROLL_REJECTED', message: 'discarded', hint: 'press Retry' } }),
      rec({ type: 'run-started', run: 2, keyType: 'p256' }),
    ]);
    expect(p.request.pendingId).toBeUndefined();
    expect(stepOf(p, closed)).toBe('approval');
  });

  it('ignores flow events and failures of an older run', () => {
    const p = fold([
      rec({ type: 'run-started', run: 1, keyType: 'p256' }),
      rec({ type: 'run-started', run: 2, keyType: 'p256' }),
      flow({ type: 'step', step: 'install', resumed: false }, 1),
      rec({ type: 'run-failed', run: 1, failure: { message: 'old', hint: 'old' } }),
    ]);
    expect(p.flowStep).toBeUndefined();
    expect(p.failure).toBeUndefined();
  });

  it('keeps the pending request, its checks and the issuance', () => {
    const p = fold([
      rec({ type: 'run-started', run: 1, keyType: 'p256' }),
      flow({ type: 'enrollment', event: { type: 'pending', requestId: '42' } }),
      flow({ type: 'enrollment', event: { type: 'waiting', delayMs: 30_000 } }),
      flow({ type: 'enrollment', event: { type: 'polling', requestId: '42' } }),
    ]);
    expect(p.request).toEqual({ submitting: false, pendingId: '42', nextCheckMs: 30_000, checkedAt: '2026-01-02T03:04:05.000Z', issued: false });
    expect(fold([flow({ type: 'enrollment', event: { type: 'issued' } })], p).request.issued).toBe(true);
  });

  it('passes over a progress event it has no words for (from a newer SDK)', () => {
    const before = fold([rec({ type: 'run-started', run: 1, keyType: 'p256' })]);
    expect(fold([flow({ type: 'renewal-planned' } as unknown as EnrollFlowEvent)], before)).toEqual(before);
  });

  it('follows each domain: which one, how, waiting, verified (the domain step shows until all are)', () => {
    const registered = fold([
      rec({ type: 'run-started', run: 1, keyType: 'p256' }),
      flow({ type: 'registration', event: { type: 'registered', via: 'ticket', emailAddress: 'postmaster@examplemail.test' } }),
      flow({ type: 'step', step: 'verify-email', resumed: false }),
    ]);
    expect(stepOf(registered, opened)).toBe('approval');
    const asked = fold(
      [
        flow({
          type: 'domain',
          event: {
            type: 'verifying',
            domain: 'examplemail.test',
            unicode: 'examplemail.test',
            method: 'email',
            address: 'postmaster@examplemail.test',
            automatic: true,
          },
        }),
        flow({ type: 'domain', event: { type: 'verified', domain: 'example.org', method: 'dns', alreadyVerified: true } }),
        flow({ type: 'domain', event: { type: 'waiting', domain: 'examplemail.test', delayMs: 2000 } }),
      ],
      registered,
    );
    expect(stepOf(asked, opened)).toBe('domain');
    expect(asked.domains).toEqual([
      {
        domain: 'examplemail.test',
        unicode: 'examplemail.test',
        method: 'email',
        address: 'postmaster@examplemail.test',
        automatic: true,
        verified: false,
        alreadyVerified: false,
        checkedAt: '2026-01-02T03:04:05.000Z',
        nextCheckMs: 2000,
      },
      { domain: 'example.org', unicode: 'example.org', method: 'dns', verified: true, alreadyVerified: true },
    ]);
    const verified = fold(
      [
        flow({
          type: 'domain',
          event: { type: 'verified', domain: 'examplemail.test', method: 'email', alreadyVerified: false, lapsesAt: '2027-02-01T00:00:00.000Z' },
        }),
      ],
      asked,
    );
    expect(verified.domains[0]).toMatchObject({ verified: true, alreadyVerified: false, lapsesAt: '2027-02-01T00:00:00.000Z' });
    expect(stepOf(verified, opened)).toBe('approval');
    // A Retry asks again: the list starts over.
    expect(fold([rec({ type: 'run-started', run: 2, keyType: 'p256' })], verified).domains).toEqual([]);
  });
});

describe('stepsFor', () => {
  it('has the domain step only for a server certificate', () => {
    expect(stepsFor({ certificate: { address: true } })).not.toContain('domain');
    const server = stepsFor({ certificate: { server: { domainVerification: { method: 'email', automatic: true } }, address: false } });
    expect(server.indexOf('domain')).toBe(server.indexOf('confirm') + 1);
  });
});
