/**
 * Step 8: done.
 */
import { h } from '../dom.js';
import type { Progress } from '../progress.js';
import { proofSection } from './installed.js';
import { stepSection, statusLine, type StepContext, type StepView } from '../step-view.js';

/** The last step. */
export function doneStep({ config, progress }: StepContext): StepView {
  const status = statusLine();
  const { section, heading } = stepSection(
    'All done',
    h('p', {}, `Your certificate is installed and ${config.vendor.name} uses it. You can close this tab; the installer goes on by itself.`),
    proofSection(config),
    status,
  );
  const update = (p: Progress) => {
    if (p.closing) status.say('The installer has closed the wizard.');
  };
  update(progress);
  return { element: section, heading, update };
}
