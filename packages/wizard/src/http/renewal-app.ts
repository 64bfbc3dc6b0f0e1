/**
 * The renewal wizard's API on top of the shared shell (guard, session, config, events, files):
 * start `renew()`, answer the names-dropped question, finish. Only POSTs change anything; the
 * question is answered by its unguessable id, so a stale page cannot answer a newer question.
 */
import type express from 'express';
import type { RenewalRunner } from '../renewal-runner.js';
import type { RenewalWizardConfig } from '../wire.js';
import { apiError, createWizardShell, type WizardShellParts } from './wizard-app.js';

/** What the renewal wizard's front end maps to HTTP. */
export interface RenewalAppParts extends WizardShellParts {
  readonly config: RenewalWizardConfig;
  readonly runner: RenewalRunner;
  /** The person pressed Finish. */
  readonly onFinish: () => void;
}

/** Longest question id accepted (the runner's are 22 characters). */
const QUESTION_ID_MAX_LENGTH = 64;

/**
 * Builds the request handler of the renewal wizard.
 * @example
 * const app = createRenewalApp({ port, session, config, streams, runner, ui, logo, logger, onFinish });
 */
export function createRenewalApp(parts: RenewalAppParts): express.Express {
  const { runner, logger } = parts;
  return createWizardShell(parts, (api) => {
    api.post('/renew', (_req, res) => {
      switch (runner.start()) {
        case 'started':
          return res.status(202).json({ started: true });
        case 'busy':
          return apiError(res, 'busy', 'the renewal is already running');
        case 'finished':
          return apiError(res, 'out_of_order', 'the renewal has ended; nothing more to run');
      }
    });
    // The person's answer (or the page's `keep` as it closes, `pageClosed`): only ever a POST.
    api.post('/names-dropped', (req, res) => {
      const body = (req.body ?? {}) as { questionId?: unknown; answer?: unknown; pageClosed?: unknown };
      if (typeof body.questionId !== 'string' || body.questionId === '' || body.questionId.length > QUESTION_ID_MAX_LENGTH)
        return apiError(res, 'invalid_input', 'name the question answered', { questionId: 'Send the id of the question shown.' });
      if (body.answer !== 'keep' && body.answer !== 'revoke')
        return apiError(res, 'invalid_input', 'answer keep or revoke', { answer: 'Choose Keep or Revoke.' });
      if (body.pageClosed !== undefined && (body.pageClosed !== true || body.answer !== 'keep'))
        return apiError(res, 'invalid_input', 'a closing page answers keep only', { answer: 'A closing page answers keep.' });
      if (runner.answer(body.questionId, body.answer, body.pageClosed === true ? 'closed' : 'person') === 'no-question')
        return apiError(res, 'out_of_order', 'no such question is open (answered already, timed out, or never asked)');
      logger.info('names-dropped answer received', { answer: body.answer });
      res.status(204).end();
    });
    api.post('/finish', (_req, res) => {
      if (!runner.finished) return apiError(res, 'out_of_order', 'the renewal has not ended yet');
      parts.onFinish();
      res.status(204).end();
    });
  });
}
