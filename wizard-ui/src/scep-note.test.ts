import type { EnrollFlowEvent, WizardEvent, WizardEventRecord } from '@certwizard/wizard';
import { describe, expect, it } from 'vitest';
import { INITIAL_PROGRESS, reduceProgress, stepOf, type LocalState } from './progress.js';
import { colonFingerprint, presentedFingerprintsText } from './steps/key.js';

let id = 0;
const rec = (event: WizardEvent): WizardEventRecord => ({ id: ++id, at: '2026-01-02T03:04:05.000Z', event });
const flow = (event: EnrollFlowEvent, run = 1): WizardEventRecord => rec({ type: 'flow', run, event });
const CA = `${'ab'.repeat(31)}0f`;
const RA = `${'cd'.repeat(31)}e1`;
const PRESENTED: EnrollFlowEvent = { type: 'scep-ca-fingerprints', caSha256: CA, raSha256: RA, caSubject: 'CN=Example SCEP CA' };

describe('the key step for a SCEP CA', () => {
  it('shows the pinned SHA-256 as openssl prints it', () => {
    expect(colonFingerprint('ab'.repeat(31) + '0f')).toBe(`${'AB:'.repeat(31)}0F`);
  });

  it('words the fingerprints the CA presented in colon form, with the advice to compare them', () => {
    const text = presentedFingerprintsText({ caSha256: CA, raSha256: RA, caSubject: 'CN=Example SCEP CA' });
    expect(text.intro).toBe('The certificate authority CN=Example SCEP CA presented these SHA-256 fingerprints:');
    expect(text.rows).toEqual([
      { label: 'CA certificate', fingerprint: `${'AB:'.repeat(31)}0F` },
      { label: 'RA certificate', fingerprint: `${'CD:'.repeat(31)}E1` },
    ]);
    expect(text.advice).toMatch(/^Compare them with the fingerprints the certificate authority's operator publishes\./);
  });

  it("keeps the CA's presented fingerprints from the method's event, for this run only", () => {
    const started = [rec({ type: 'run-started', run: 1, keyType: 'rsa2048' }), flow({ type: 'step', step: 'register', resumed: false })];
    const p = [...started, flow(PRESENTED)].reduce(reduceProgress, INITIAL_PROGRESS);
    expect(p.scepCa).toEqual({ caSha256: CA, raSha256: RA, caSubject: 'CN=Example SCEP CA' });
    // An event of an earlier run changes nothing.
    expect([...started, flow(PRESENTED, 0)].reduce(reduceProgress, INITIAL_PROGRESS).scepCa).toBeUndefined();
  });

  it("stays on the key step during a SCEP CA's account step, then moves to approval", () => {
    const local: LocalState = { step: 'key', pageOpened: false, scep: true };
    let p = [rec({ type: 'run-started', run: 1, keyType: 'rsa2048' }), flow({ type: 'step', step: 'register', resumed: false })].reduce(
      reduceProgress,
      INITIAL_PROGRESS,
    );
    expect(stepOf(p, local)).toBe('key');
    expect(stepOf(p, { step: 'key', pageOpened: false })).toBe('register');
    p = reduceProgress(p, flow(PRESENTED));
    expect(stepOf(p, { step: 'key', pageOpened: false })).toBe('key');
    p = reduceProgress(p, flow({ type: 'step', step: 'submit', resumed: false }));
    expect(stepOf(p, local)).toBe('approval');
  });
});
