/**
 * The wizard's browser app: loads the vendor's configuration, follows the server's events and
 * lets the view render them. All the work happens in the installer's process (`enroll()`); this
 * page only shows its progress and sends the person's answers.
 */
import type { HostNamesCheckAnswer, KeyType, RenewalWizardConfig, WizardConfig, WizardEventRecord } from '@certwizard/wizard';
import { fetchConfig, post, postAsPageCloses } from './api.js';
import { RenewalView } from './renewal-view.js';
import { WizardView } from './wizard-view.js';
import './style.css';

/** Looks up an element the page's HTML must have. */
function part<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

function showVendor(config: WizardConfig | RenewalWizardConfig): void {
  part('vendor-name').textContent = `${config.vendor.name} certificate wizard`;
  if (config.vendor.logoUrl !== undefined) {
    const logo = part<HTMLImageElement>('vendor-logo');
    logo.src = config.vendor.logoUrl;
    logo.hidden = false;
  }
}

/** Saves the PKCS #12 answer as a file, through a temporary link (no navigation, no inline script). */
async function saveDownload(res: Response, fallbackName: string): Promise<string> {
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // Revoked after the click has handed the blob to the download.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
  return name;
}

/** Follows `/api/events`; EventSource reconnects by itself and resumes after the last id it saw. */
function follow(view: { receive(record: WizardEventRecord): void; readonly closing: boolean }): void {
  const connection = part('connection');
  const events = new EventSource('/api/events');
  events.onopen = () => {
    connection.textContent = '';
  };
  events.onmessage = (message: MessageEvent<string>) => {
    const record = JSON.parse(message.data) as WizardEventRecord;
    view.receive(record);
    if (record.event.type === 'closing') {
      events.close();
      connection.textContent = 'The installer has closed the wizard.';
    }
  };
  events.onerror = () => {
    if (view.closing) return;
    connection.textContent =
      events.readyState === EventSource.CLOSED
        ? 'The connection to the installer is lost. Reload the page once the installer runs again.'
        : 'The connection to the installer was interrupted; reconnecting…';
  };
}

async function start(): Promise<void> {
  let fetched: WizardConfig | RenewalWizardConfig;
  try {
    fetched = await fetchConfig();
  } catch (error) {
    part('loading').textContent = `The wizard could not start: ${error instanceof Error ? error.message : String(error)}. Open it again from the installer.`;
    return;
  }
  showVendor(fetched);
  if ('action' in fetched) {
    startRenewal(fetched);
    return;
  }
  const config: WizardConfig = fetched;
  const enroll = async (keyType: KeyType) => {
    await post('/api/enroll', { keyType });
  };
  const view: WizardView = new WizardView(
    config,
    { main: part('main'), position: part('step-position'), list: part<HTMLOListElement>('step-list') },
    {
      saveDetails: async (details) => {
        await post('/api/details', details);
      },
      checkHostNames: async (hostNames) => ((await (await post('/api/host-names', { hostNames })).json()) as HostNamesCheckAnswer).checked,
      enroll,
      retry: () => enroll(view.progress.run?.keyType ?? config.defaultKeyType),
      downloadPkcs12: async (passphrase) => saveDownload(await post('/api/pkcs12', { passphrase }), 'certificate.p12'),
      finish: async () => {
        await post('/api/finish');
      },
    },
  );
  view.show();
  follow({
    receive: (record) => view.receive(record),
    get closing() {
      return view.progress.closing;
    },
  });
}

/** The renewal page: `renew()`'s progress and the names-dropped question. */
function startRenewal(config: RenewalWizardConfig): void {
  part('step-list').hidden = true;
  let closing = false;
  const view = new RenewalView(
    config,
    { main: part('main'), position: part('step-position') },
    {
      renew: async () => {
        await post('/api/renew');
      },
      answer: async (questionId, answer) => {
        await post('/api/names-dropped', { questionId, answer });
      },
      answerKeepOnClose: (questionId) => postAsPageCloses('/api/names-dropped', { questionId, answer: 'keep', pageClosed: true }),
      finish: async () => {
        await post('/api/finish');
      },
    },
  );
  view.show();
  follow({
    receive: (record) => {
      if (record.event.type === 'closing') closing = true;
      view.receive(record);
    },
    get closing() {
      return closing;
    },
  });
}

void start();
