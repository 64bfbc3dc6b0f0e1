/**
 * Step 6 of a server certificate: the CA verifies each domain of the host names, and the page says
 * which one and how: an email ping to an administrative address (answered by the vendor's mail
 * server by itself, or by the person clicking its link), a DNS TXT record or an HTTP file the
 * vendor publishes. Waits live, one line per domain.
 */
import { h, replaceChildren } from '../dom.js';
import { clockTime, roughDuration } from '../format.js';
import type { DomainProgress, Progress } from '../progress.js';
import { caHost, STOPPED, stepSection, statusLine, type StepContext, type StepView } from '../step-view.js';

/** The domain-verification step. */
export function domainStep({ config, progress }: StepContext): StepView {
  const status = statusLine();
  const list = h('ul', { class: 'domains' });
  const checked = h('p', { class: 'quiet' });
  const { section, heading } = stepSection(
    'Verify your domain',
    h(
      'p',
      {},
      `Before it issues a server certificate, the CA at ${caHost(config)} checks that the domain of each host name is yours. Your account's address is confirmed already.`,
    ),
    list,
    status,
    checked,
  );
  let shownFor = '';
  const update = (p: Progress) => {
    // Redrawn when what is shown changes, not on every wait: the list holds links and codes to copy.
    const key = JSON.stringify(p.domains.map(({ checkedAt: _c, nextCheckMs: _n, ...rest }) => rest));
    if (key !== shownFor) {
      shownFor = key;
      replaceChildren(list, ...p.domains.map((d) => domainItem(config.vendor.name, d)));
    }
    const open = p.domains.find((d) => !d.verified);
    if (p.failure !== undefined) status.say(STOPPED);
    else if (open === undefined) status.say('Every domain is verified.');
    else if (p.running) status.say(waitingFor(config.vendor.name, open));
    checked.textContent =
      open?.checkedAt === undefined || p.failure !== undefined
        ? ''
        : `Last asked the CA at ${clockTime(open.checkedAt)}.${open.nextCheckMs === undefined ? '' : ` Next time in ${roughDuration(open.nextCheckMs)}.`}`;
  };
  update(progress);
  return { element: section, heading, update };
}

/** The status line while `d` is not verified yet. */
function waitingFor(vendor: string, d: DomainProgress): string {
  switch (d.method) {
    case 'email':
      return d.automatic === true
        ? `Waiting for ${vendor} to answer the CA's mail for ${d.unicode}…`
        : `Waiting for you to confirm ${d.unicode} from the mail…`;
    case 'dns':
      return `Waiting for the CA to find the DNS record of ${d.unicode}…`;
    case 'http':
      return `Waiting for the CA to fetch the file of ${d.unicode}…`;
  }
}

/** One domain: what the CA asked for and what happens with it, or that it is verified. */
function domainItem(vendor: string, d: DomainProgress): HTMLElement {
  const name = h('strong', {}, d.unicode);
  if (d.verified) {
    return h(
      'li',
      { class: 'done-line' },
      name,
      d.alreadyVerified
        ? ': verified already (the CA had checked it before).'
        : `: verified${d.method === 'email' && d.address !== undefined ? ` by the mail to ${d.address}` : ''}.`,
    );
  }
  switch (d.method) {
    case 'email':
      return h(
        'li',
        {},
        name,
        ': the CA mailed ',
        h('strong', {}, d.address ?? 'an administrative address of the domain'),
        d.automatic === true
          ? `. ${vendor} answers that mail by itself: there is nothing to click.`
          : '. Open that mail and click its link; if the page it opens asks, press its Confirm button.',
      );
    case 'dns':
      return h(
        'li',
        {},
        name,
        `: ${vendor} publishes this DNS TXT record, then the CA looks it up.`,
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Name'),
          h('dd', {}, h('code', {}, d.record?.name ?? '')),
          h('dt', {}, 'Value'),
          h('dd', {}, h('code', {}, d.record?.value ?? '')),
        ),
      );
    case 'http':
      return h('li', {}, name, `: ${vendor} serves a file at this address (plain HTTP, port 80), then the CA fetches it: `, h('code', {}, d.url ?? ''));
  }
}
