/**
 * Step 3: the key. A sane default (the vendor's, else ECDSA P-256) and an "advanced" choice.
 * The key comes before the registration because `enroll()` sends the certificate request along
 * with the registration, and the request is made from the key.
 */
import type { KeyType } from '@certwizard/wizard';
import { fingerprintCode, h } from '../dom.js';
import { KEY_TYPE_NAMES, keyTypeLabel } from '../key-types.js';
import type { Progress, ScepCaPresented } from '../progress.js';
import { STOPPED, stepSection, statusLine, type StepContext, type StepView } from '../step-view.js';

/** SHA-256 as `openssl x509 -fingerprint -sha256` prints it: upper-case pairs joined by colons. */
export function colonFingerprint(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}

/** The fingerprints a SCEP CA presented, as the key step words them for the person (colon form). */
export interface PresentedFingerprintsText {
  readonly intro: string;
  readonly rows: readonly { readonly label: string; readonly fingerprint: string }[];
  readonly advice: string;
}

/**
 * What the key step says about the fingerprints a SCEP CA presented when the vendor pinned none:
 * the person compares them with what the CA's operator publishes (the vendor's `onCaFingerprints`
 * asks whether they match).
 * @example
 * presentedFingerprintsText({ caSha256: 'ab…', raSha256: 'cd…', caSubject: 'CN=Example CA' }).rows[0].fingerprint; // 'AB:…'
 */
export function presentedFingerprintsText(presented: ScepCaPresented): PresentedFingerprintsText {
  return {
    intro: `The certificate authority ${presented.caSubject} presented these SHA-256 fingerprints:`,
    rows: [
      { label: 'CA certificate', fingerprint: colonFingerprint(presented.caSha256) },
      { label: 'RA certificate', fingerprint: colonFingerprint(presented.raSha256) },
    ],
    advice:
      "Compare them with the fingerprints the certificate authority's operator publishes. Go on only if they are the same: otherwise your request would go to someone else.",
  };
}

/** {@link presentedFingerprintsText} as the key step shows it. */
function presentedFingerprints(presented: ScepCaPresented): HTMLElement {
  const text = presentedFingerprintsText(presented);
  return h(
    'div',
    { class: 'scep-presented', id: 'scep-presented' },
    h('p', {}, text.intro),
    h('dl', {}, ...text.rows.flatMap((row) => [h('dt', {}, row.label), h('dd', {}, fingerprintCode(row.fingerprint))])),
    h('p', {}, text.advice),
  );
}

/** Why the key is RSA, and the CA's pinned fingerprint for the person to compare. */
export function scepNote(scep: { readonly caFingerprintSha256?: string }): HTMLElement {
  return h(
    'div',
    { class: 'scep-ca', id: 'scep-ca' },
    h('p', {}, 'This certificate authority is reached over SCEP, which sends the certificate back encrypted to your key: the key is RSA.'),
    scep.caFingerprintSha256 === undefined
      ? h('p', {}, "The installer checks the certificate authority's fingerprints with you before it sends the request.")
      : h(
          'p',
          {},
          "The certificate authority's certificate has this SHA-256 fingerprint; it should match the one its operator published: ",
          h('code', { class: 'fingerprint' }, colonFingerprint(scep.caFingerprintSha256)),
        ),
  );
}

/** The key step. */
export function keyStep({ config, actions, progress }: StepContext): StepView {
  const chosen = progress.run?.keyType ?? config.defaultKeyType;
  const select = h('select', { id: 'key-type', name: 'keyType' });
  for (const type of config.keyTypes) {
    const option = h('option', { value: type }, keyTypeLabel(type));
    option.selected = type === chosen;
    select.append(option);
  }
  const advanced = h(
    'details',
    { class: 'advanced' },
    h('summary', {}, 'Advanced: choose another key type'),
    h('div', { class: 'field' }, h('label', { for: 'key-type' }, 'Key type'), select),
  );
  advanced.open = chosen !== config.defaultKeyType;
  const status = statusLine();
  const make = h('button', { type: 'submit' }, 'Make the key and continue');
  const back = h('button', { type: 'button', class: 'secondary', onclick: () => actions.goTo('details') }, 'Back');
  const form = h('form', { class: 'form' }, advanced, h('div', { class: 'actions' }, make, back), status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    status.say('Starting…');
    actions.enroll(select.value as KeyType).catch((error: unknown) => {
      status.say(`The installer did not start: ${error instanceof Error ? error.message : String(error)}.`);
    });
  });
  const note = config.scep === undefined ? undefined : scepNote(config.scep);
  const { section, heading } = stepSection(
    'Your key',
    h(
      'p',
      {},
      `The installer now makes a private key on this computer. It never leaves this computer: the CA only gets a certificate request made from it. The default, ${KEY_TYPE_NAMES[config.defaultKeyType]}, is right unless your software needs something else.`,
    ),
    note,
    config.certificate.server === undefined && config.scep === undefined
      ? h(
          'p',
          {},
          'Why before registering? The certificate request goes to the CA together with your registration, so that the CA can issue the certificate as soon as your address is confirmed.',
        )
      : undefined,
    form,
  );
  let shownPresented: ScepCaPresented | undefined;
  const update = (p: Progress) => {
    // Without a vendor pin, the fingerprints the CA presented are the person's to compare.
    if (note !== undefined && config.scep?.caFingerprintSha256 === undefined && p.scepCa !== undefined && p.scepCa !== shownPresented) {
      shownPresented = p.scepCa;
      note.querySelector('#scep-presented')?.remove();
      note.append(presentedFingerprints(p.scepCa));
    }
    const started = p.run !== undefined;
    make.disabled = p.running;
    select.disabled = started;
    back.hidden = started;
    if (p.failure !== undefined) status.say(STOPPED);
    else if (p.running) status.say(`Making your ${KEY_TYPE_NAMES[p.run?.keyType ?? chosen]} key…`);
  };
  update(progress);
  return { element: section, heading, update };
}
