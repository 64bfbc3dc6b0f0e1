import { describe, expect, it } from 'vitest';
import type { ShownInstalled, ShownNamesDroppedQuestion, ShownRenewEvent, WizardEvent, WizardEventRecord } from '@certwizard/wizard';
import { INITIAL_RENEWAL, reduceRenewal, renewalScreen, renewalStatus, type RenewalProgress, type RenewalScreen } from './renewal-progress.js';

let id = 0;
const rec = (event: WizardEvent): WizardEventRecord => ({ id: ++id, at: '2026-01-02T03:04:05.000Z', event });
const renewal = (event: ShownRenewEvent, run = 1): WizardEventRecord => rec({ type: 'renewal', run, event });
const fold = (records: WizardEventRecord[], from: RenewalProgress = INITIAL_RENEWAL) => records.reduce(reduceRenewal, from);

const INSTALLED: ShownInstalled = {
  name: 'mail',
  version: 2,
  paths: { privkey: '/k', cert: '/c', chain: '/ch', fullchain: '/f' },
  fingerprintSha256: 'CD',
  notAfter: '2027-06-01T00:00:00.000Z',
  names: ['mail.a.test'],
};

const question = (qid: string): ShownNamesDroppedQuestion => ({
  id: qid,
  name: 'mail',
  droppedNames: ['mail.b.test'],
  serialHex: '0a1b',
  notAfter: '2026-03-01T00:00:00.000Z',
  certificateNames: ['mail.a.test', 'mail.b.test'],
  keepAt: '2026-01-02T03:14:05.000Z',
});

const started = (run = 1) => rec({ type: 'renewal-started', run });

describe('renewalScreen', () => {
  it('walks start, progress, question, progress, result, done through a renewal that drops a name', () => {
    const screens: RenewalScreen[] = [];
    let p = INITIAL_RENEWAL;
    screens.push(renewalScreen(p));
    p = fold([started(), renewal({ type: 'renewal-due', dueAt: '2026-01-01T00:00:00.000Z', forced: false, resumed: false })], p);
    screens.push(renewalScreen(p));
    p = fold([rec({ type: 'names-dropped-question', run: 1, question: question('q1') })], p);
    screens.push(renewalScreen(p));
    p = fold([rec({ type: 'names-dropped-answered', run: 1, questionId: 'q1', answer: 'revoke', by: 'person' })], p);
    screens.push(renewalScreen(p));
    p = fold(
      [
        renewal({ type: 'renewed', installed: INSTALLED, previousSerialHex: '0a1b' }),
        renewal({ type: 'dropped-revoked', serialHex: '0a1b', already: false }),
        rec({
          type: 'renewal-outcome',
          run: 1,
          outcome: { status: 'renewed', installed: INSTALLED, previousSerialHex: '0a1b', droppedNames: ['mail.b.test'], revokedSerialHex: '0a1b' },
        }),
      ],
      p,
    );
    screens.push(renewalScreen(p));
    p = fold([rec({ type: 'finished' })], p);
    screens.push(renewalScreen(p));
    expect(screens).toEqual(['start', 'progress', 'question', 'progress', 'result', 'done']);
    expect(p.running).toBe(false);
    expect(p.answered).toEqual({ answer: 'revoke', by: 'person', droppedNames: ['mail.b.test'], serialHex: '0a1b' });
    expect(p.renewed).toEqual({ installed: INSTALLED, previousSerialHex: '0a1b' });
    expect(p.revoked).toEqual({ serialHex: '0a1b', already: false });
    expect(p.due).toEqual({ dueAt: '2026-01-01T00:00:00.000Z', forced: false, resumed: false });
  });

  it('shows an open question before a result (the renewal waits on it)', () => {
    const p: RenewalProgress = { ...INITIAL_RENEWAL, run: 1, question: question('q1'), outcome: { status: 'pending' } };
    expect(renewalScreen(p)).toBe('question');
    expect(renewalScreen({ ...p, finished: true })).toBe('done');
  });

  it('a replay of the same records rebuilds the same screen, with the question still open', () => {
    const records = [started(), rec({ type: 'names-dropped-question', run: 1, question: question('q1') })];
    const first = fold(records);
    expect(fold(records)).toEqual(first);
    expect(renewalScreen(first)).toBe('question');
    expect(first.question?.id).toBe('q1');
  });
});

describe('reduceRenewal', () => {
  it('an answer to another question id (stale page, older question) changes nothing', () => {
    const asked = fold([started(), rec({ type: 'names-dropped-question', run: 1, question: question('q2') })]);
    expect(fold([rec({ type: 'names-dropped-answered', run: 1, questionId: 'q1', answer: 'revoke', by: 'person' })], asked)).toEqual(asked);
    expect(fold([rec({ type: 'names-dropped-answered', run: 1, questionId: 'q1', answer: 'keep', by: 'timeout' })], INITIAL_RENEWAL)).toEqual(INITIAL_RENEWAL);
  });

  it.each<{ by: 'timeout' | 'closed' }>([{ by: 'timeout' }, { by: 'closed' }])('records keep answered by $by with the question names', ({ by }) => {
    const p = fold([
      started(),
      rec({ type: 'names-dropped-question', run: 1, question: question('q1') }),
      rec({ type: 'names-dropped-answered', run: 1, questionId: 'q1', answer: 'keep', by }),
    ]);
    expect(p.question).toBeUndefined();
    expect(p.answered).toEqual({ answer: 'keep', by, droppedNames: ['mail.b.test'], serialHex: '0a1b' });
    expect(renewalScreen(p)).toBe('progress');
  });

  it('a Retry drops the failed outcome and an open question but keeps what the person answered', () => {
    const failed = fold([
      started(),
      rec({ type: 'names-dropped-question', run: 1, question: question('q1') }),
      rec({ type: 'names-dropped-answered', run: 1, questionId: 'q1', answer: 'keep', by: 'person' }),
      rec({
        type: 'renewal-outcome',
        run: 1,
        outcome: { status: 'failed', failure: { code: 'ERR_SDK_CA_UNREACHABLE', message: 'down', hint: 'press Retry' } },
      }),
    ]);
    expect(failed.running).toBe(false);
    expect(renewalScreen(failed)).toBe('result');
    const retried = fold([started(2)], failed);
    expect(retried.outcome).toBeUndefined();
    expect(retried.run).toBe(2);
    expect(retried.running).toBe(true);
    expect(retried.answered?.answer).toBe('keep');
    expect(renewalScreen(retried)).toBe('progress');
    // A question left open by a run that failed is gone with the Retry.
    const open = fold([started(), rec({ type: 'names-dropped-question', run: 1, question: question('q9') })]);
    expect(fold([started(2)], open).question).toBeUndefined();
  });

  it("ignores an older run's events, question and outcome", () => {
    const p = fold([
      started(1),
      started(2),
      renewal({ type: 'renewal-due', dueAt: '2026-01-01T00:00:00.000Z', forced: true, resumed: false }, 1),
      renewal({ type: 'flow', event: { type: 'step', step: 'install', resumed: false } }, 1),
      rec({ type: 'names-dropped-question', run: 1, question: question('q1') }),
      rec({ type: 'renewal-outcome', run: 1, outcome: { status: 'not-due', dueAt: '2026-02-01T00:00:00.000Z' } }),
    ]);
    expect(p).toEqual({ ...INITIAL_RENEWAL, run: 2, running: true });
    expect(renewalScreen(p)).toBe('progress');
  });

  it('closing drops an open question (nobody can answer it now) and marks the page closing', () => {
    const p = fold([started(), rec({ type: 'names-dropped-question', run: 1, question: question('q1') }), rec({ type: 'closing' })]);
    expect(p.question).toBeUndefined();
    expect(p.closing).toBe(true);
    expect(renewalScreen(p)).toBe('progress');
  });

  it("passes over the enrollment wizard's events and renew() events it has no state for", () => {
    const before = fold([started()]);
    expect(
      fold(
        [
          rec({ type: 'run-started', run: 1, keyType: 'p256' }),
          rec({ type: 'registration-page', run: 1, url: 'https://ca.example/r' }),
          renewal({ type: 'names-dropped', droppedNames: ['mail.b.test'], answer: 'keep' }),
          renewal({ type: 'renewal-failed', code: 'ERR_X', message: 'x', nextAttemptAt: '2026-01-03T00:00:00.000Z' }),
          renewal({ type: 'flow', event: { type: 'enrollment', event: { type: 'issued' } } }),
        ],
        before,
      ),
    ).toEqual(before);
  });
});

describe('renewalStatus', () => {
  it.each<{ name: string; progress: RenewalProgress; want: string }>([
    { name: 'nothing yet', progress: { ...INITIAL_RENEWAL, run: 1, running: true }, want: 'Checking whether the certificate is due…' },
    {
      name: 'due, before a step',
      progress: { ...INITIAL_RENEWAL, run: 1, running: true, due: { dueAt: '2026-01-01T00:00:00.000Z', forced: false, resumed: false } },
      want: 'Renewing the certificate…',
    },
    { name: 'prepare-key', progress: { ...INITIAL_RENEWAL, flowStep: 'prepare-key' }, want: 'Making a new key…' },
    { name: 'submit', progress: { ...INITIAL_RENEWAL, flowStep: 'submit' }, want: 'Sending the certificate request to the CA…' },
    { name: 'verify-email', progress: { ...INITIAL_RENEWAL, flowStep: 'verify-email' }, want: 'The CA is checking the names…' },
    { name: 'await-issue', progress: { ...INITIAL_RENEWAL, flowStep: 'await-issue' }, want: 'Waiting for the CA to issue the certificate…' },
    { name: 'install', progress: { ...INITIAL_RENEWAL, flowStep: 'install' }, want: 'Installing the renewed certificate…' },
    {
      name: 'renewed, before the outcome',
      progress: { ...INITIAL_RENEWAL, flowStep: 'install', renewed: { installed: INSTALLED, previousSerialHex: '0a1b' } },
      want: 'The renewed certificate is installed; finishing…',
    },
  ])('$name', ({ progress, want }) => {
    expect(renewalStatus(progress)).toBe(want);
  });

  it('follows the flow step of the current run', () => {
    const p = fold([started(), renewal({ type: 'flow', event: { type: 'step', step: 'await-issue', resumed: true } })]);
    expect(p.flowStep).toBe('await-issue');
    expect(renewalStatus(p)).toBe('Waiting for the CA to issue the certificate…');
  });
});
