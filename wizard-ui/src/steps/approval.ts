/**
 * Step 6: approval and issuance. Says what is pending and on whom: the CA may issue at once (the
 * request named the confirmed address) or keep the request for the account owner's approval.
 */
import { h } from '../dom.js';
import { clockTime, roughDuration } from '../format.js';
import type { Progress } from '../progress.js';
import { newTabLink, STOPPED, stepSection, statusLine, type StepContext, type StepView } from '../step-view.js';

/** The approval step. */
export function approvalStep({ config, progress }: StepContext): StepView {
  const confirmed = h('p', { class: 'done-line', hidden: true });
  const status = statusLine();
  const accountLink = newTabLink("Open the CA's account page", config.caAccountUrl);
  const pendingHelp = h('p', { hidden: true }, 'The owner logs in there and approves the request under "Pending requests". ', accountLink);
  const checked = h('p', { class: 'quiet' });
  const { section, heading } = stepSection('Approval and issuance', confirmed, status, pendingHelp, checked);
  const update = (p: Progress) => {
    const owner = p.registration.registeredAs ?? p.installed?.accountEmail;
    confirmed.hidden = owner === undefined;
    confirmed.textContent = owner === undefined ? '' : `Your address ${owner} is confirmed.`;
    const pending = p.request.pendingId !== undefined && !p.request.issued && p.failure === undefined;
    pendingHelp.hidden = !pending;
    if (p.failure !== undefined) {
      status.say(STOPPED);
    } else if (p.request.issued || p.flowStep === 'install') {
      status.say('The CA issued the certificate. Installing it…');
    } else if (pending) {
      status.say(
        `Request ${p.request.pendingId} is waiting for the account owner${owner === undefined ? '' : ` (${owner})`} to approve it on the CA's account page. This page goes on by itself once it is approved.`,
      );
    } else if (p.flowStep === 'submit' || p.request.submitting) {
      status.say('Sending the certificate request to the CA…');
    } else if (p.running) {
      status.say("Getting this installation's access to the CA…");
    }
    const parts: string[] = [];
    if (pending && p.request.checkedAt !== undefined) parts.push(`Last asked the CA at ${clockTime(p.request.checkedAt)}.`);
    if (pending && p.request.nextCheckMs !== undefined) parts.push(`Next time in ${roughDuration(p.request.nextCheckMs)}.`);
    checked.textContent = parts.join(' ');
  };
  update(progress);
  return { element: section, heading, update };
}
