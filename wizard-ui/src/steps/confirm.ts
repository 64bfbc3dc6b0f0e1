/**
 * Step 5: the address confirmation, for the registration's mail or, later, the `verify-email`
 * step's mail. Automatic when the flow reports that the vendor's mail hook answers the CA's mail;
 * otherwise the person opens the mail and clicks its link. Either way the page waits live.
 */
import { h, replaceChildren } from '../dom.js';
import { clockTime } from '../format.js';
import type { Progress } from '../progress.js';
import { caHost, newTabLink, STOPPED, stepSection, statusLine, type StepContext, type StepView } from '../step-view.js';

/** The address-confirmation step. */
export function confirmStep({ config, actions, progress }: StepContext): StepView {
  const status = statusLine();
  const instructions = h('div', {});
  const checked = h('p', { class: 'quiet' });
  const again = newTabLink('Open the registration page again', progress.registrationUrl, { onOpen: () => actions.pageOpened(again.href) });
  const reopen = h('p', {}, 'Closed the registration page by mistake? ', again);
  const code = h('strong', { class: 'user-code' });
  const codeNote = h(
    'p',
    { class: 'user-code-note' },
    "The CA's confirmation page shows this code: ",
    code,
    '. Press its Confirm button only if it is the same.',
  );
  const { section, heading } = stepSection('Confirm your address', instructions, codeNote, status, checked, reopen);
  let shownFor = '';
  const update = (p: Progress) => {
    const ping = p.address.pingSentTo;
    const email = ping ?? p.details?.email ?? config.defaults.email;
    const automatic = p.address.automatic ?? config.addressConfirmation === 'automatic';
    const key = `${automatic}|${email}|${ping !== undefined}`;
    if (key !== shownFor) {
      shownFor = key;
      replaceChildren(instructions, ...explain({ automatic, email, afterRegistration: ping !== undefined, ca: caHost(config) }));
    }
    // The code belongs to the registration's confirmation, not to a later address ping.
    codeNote.hidden = p.registration.userCode === undefined || ping !== undefined || automatic;
    code.textContent = p.registration.userCode ?? '';
    reopen.hidden = ping !== undefined || p.registrationUrl === undefined;
    if (p.registrationUrl !== undefined) again.href = p.registrationUrl;
    if (p.failure !== undefined) status.say(STOPPED);
    else if (p.registration.callbackReceived && ping === undefined) status.say('The CA sent you back: finishing the registration…');
    else if (p.running) status.say(automatic ? `Waiting for your mail server to confirm ${email}…` : `Waiting for you to confirm ${email} from the mail…`);
    const at = ping === undefined ? p.registration.checkedAt : p.address.checkedAt;
    checked.textContent = at === undefined || p.failure !== undefined ? '' : `Last asked the CA at ${clockTime(at)}.`;
  };
  update(progress);
  return { element: section, heading, update };
}

function explain(how: { automatic: boolean; email: string; afterRegistration: boolean; ca: string }): HTMLElement[] {
  const mail = h('strong', {}, how.email);
  const send = how.afterRegistration ? [] : [h('li', {}, `Finish the form on the page of ${how.ca} and send it.`)];
  if (how.automatic) {
    return [
      h(
        'ol',
        { class: 'plan' },
        ...send,
        h('li', {}, `The CA then mails `, mail, ' to check it is yours. Your mail server answers that mail by itself: there is nothing to click.'),
      ),
      h('p', {}, 'This page goes on by itself.'),
    ];
  }
  return [
    h(
      'ol',
      { class: 'plan' },
      ...send,
      h(
        'li',
        {},
        'Open the mail from the CA sent to ',
        mail,
        ' and click its link; if the page it opens asks, press its Confirm button. (Look in the spam folder if no mail arrives within a few minutes.)',
      ),
      h('li', {}, 'Come back to this tab: it goes on by itself once the CA has confirmed your address.'),
    ),
  ];
}
