/**
 * Step 7: the installed certificate: its names, files, fingerprint and expiry, and (when the
 * vendor allows it) a PKCS #12 download protected by a passphrase the person types.
 */
import type { WizardConfig } from '@certwizard/wizard';
import { ApiError } from '../api.js';
import { fingerprintCode, h, pathCode, type Child } from '../dom.js';
import { formField } from '../form-field.js';
import { expiry } from '../format.js';
import { certificatePurpose } from '../purpose.js';
import { stepSection, statusLine, type StepContext, type StepView } from '../step-view.js';

/** The installed step. */
export function installedStep({ config, actions, progress }: StepContext): StepView {
  const installed = progress.installed;
  if (installed === undefined) throw new Error('the installed step needs an installed certificate');
  const cert = installed.certificate;
  const email = cert.names.find((n) => n.includes('@')) ?? progress.details?.email ?? config.defaults.email;
  const purpose = certificatePurpose(
    config,
    cert.names.filter((n) => !n.includes('@')),
    email,
  );
  const row = (term: string, ...value: Child[]) => [h('dt', {}, term), h('dd', {}, ...value)];
  const list = h(
    'dl',
    { class: 'facts' },
    ...row('For', cert.names.join(', ')),
    ...row('Expires', expiry(cert.notAfter)),
    ...row('SHA-256 fingerprint', fingerprintCode(cert.fingerprintSha256)),
    ...row('Certificate', pathCode(cert.paths.cert)),
    ...row('Private key', pathCode(cert.paths.privkey)),
    ...row('Certificate with its chain', pathCode(cert.paths.fullchain)),
    ...row('Chain', pathCode(cert.paths.chain)),
    ...(cert.paths.pkcs12 === undefined ? [] : row('PKCS #12 file', pathCode(cert.paths.pkcs12))),
  );
  const finish = h('button', { type: 'button' }, 'Finish');
  const finishStatus = statusLine();
  finish.addEventListener('click', () => {
    actions
      .finish()
      .catch((error: unknown) => finishStatus.say(`The installer did not answer: ${error instanceof Error ? error.message : String(error)}. Try again.`));
  });
  const { section, heading } = stepSection(
    'Certificate installed',
    config.installedEarlier === true
      ? h(
          'p',
          {},
          `${config.vendor.name} has this certificate already: it was installed by an earlier run of this wizard, and nothing was asked of the CA this time.`,
        )
      : h('p', {}, `${config.vendor.name} can use the certificate now${installed.resumed ? ' (the installation was finished from an earlier run)' : ''}.`),
    h('p', {}, `It is ${purpose}.`),
    list,
    proofSection(config),
    config.pkcs12Download === undefined ? undefined : pkcs12Form(actions.downloadPkcs12, config.pkcs12Download.minPassphraseLength),
    h('div', { class: 'actions' }, finish),
    finishStatus,
  );
  return { element: section, heading, update: () => undefined };
}

/**
 * The vendor's proof: its words and the command to run, as code to copy (the wizard never runs
 * it). Wraps anywhere, so that a long command fits a phone's width without sideways scrolling.
 */
export function proofSection(config: WizardConfig): HTMLElement | undefined {
  if (config.proof === undefined) return undefined;
  return h(
    'section',
    { class: 'proof', 'aria-labelledby': 'proof-heading' },
    h('h2', { id: 'proof-heading' }, 'Check it'),
    h('p', {}, config.proof.text),
    h('pre', { class: 'command' }, h('code', {}, config.proof.command)),
  );
}

/** The optional PKCS #12 download: two passphrase fields and a button. */
function pkcs12Form(download: (passphrase: string) => Promise<string>, min: number): HTMLElement {
  const passphrase = formField({
    id: 'pkcs12-passphrase',
    label: 'Passphrase for the file',
    type: 'password',
    autocomplete: 'new-password',
    hint: `At least ${min} characters. You need it to import the file; it is not kept anywhere.`,
    validate: (value) => ([...value].length < min ? `Use at least ${min} characters.` : undefined),
  });
  const again = formField({
    id: 'pkcs12-passphrase-again',
    label: 'Passphrase again',
    type: 'password',
    autocomplete: 'new-password',
    validate: (value) => (value !== passphrase.input.value ? 'The two passphrases differ.' : undefined),
  });
  const status = statusLine();
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Download a PKCS #12 file (optional)'),
      h(
        'p',
        {},
        'A PKCS #12 file (.p12) holds the certificate and its private key, for importing them into other software such as a mail client. Anyone with the file and its passphrase can use your certificate: keep both safe.',
      ),
      passphrase.wrapper,
      again.wrapper,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary' }, 'Download PKCS #12 file')),
      status,
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = passphrase.input.value;
    passphrase.setError([...value].length < min ? `Use at least ${min} characters.` : undefined);
    again.setError(value !== again.input.value ? 'The two passphrases differ.' : undefined);
    if ([...value].length < min) return passphrase.input.focus();
    if (value !== again.input.value) return again.input.focus();
    status.say('Making the file…');
    download(value).then(
      (fileName) => {
        passphrase.input.value = '';
        again.input.value = '';
        status.say(`Downloaded ${fileName}.`);
      },
      (error: unknown) => {
        if (error instanceof ApiError && error.fields.passphrase !== undefined) passphrase.setError(error.fields.passphrase);
        status.say(`No file: ${error instanceof Error ? error.message : String(error)}.`);
      },
    );
  });
  return form;
}
