/**
 * What the CA's pages tell a person before they confirm a registration (RFC 8628 §5.4, "remote
 * phishing"): anyone can start a registration for someone else's address and get the link in
 * front of them, so the pages say who started this one (the user code the installer shows,
 * when and from which address) and what confirming it gives away (the certificate request sent
 * with it: the names and the key). The person compares the code with their installer's; a
 * person who started nothing is told to refuse.
 */
import { formatKeyDescription, parseCsr, sha256Hex } from '@certwizard/pki';
import type { HandoffOrigin, HandoffRepository } from '../../accounts/handoff-store.js';
import type { CertificateRequestStore } from '../../store/certificate-requests.js';
import { namesExactly } from '../../ca/registration-request.js';
import { escapeHtml, fingerprintHtml } from './html.js';

/** What {@link consentDetails} reads. */
export interface ConsentDeps {
  readonly handoffs: Pick<HandoffRepository, 'originOf'>;
  readonly pendingRequests?: { readonly requests: Pick<CertificateRequestStore, 'pendingOf'> };
}

/**
 * The notice of the registration page opened with a ticket: the user code to compare before
 * typing anything, and when and from where the ticket was asked for.
 * @example
 * userCodeNotice({ userCode: 'WDJB-MJHT', startedAtMs: Date.now() }); // '<div class="user-code-notice">...WDJB-MJHT...'
 */
export function userCodeNotice(origin: HandoffOrigin & { readonly userCode: string }): string {
  const started = startedSentence(origin);
  return `<div class="user-code-notice" role="note"><p>The installer that sent you here shows this code:</p>
<p class="user-code">${escapeHtml(origin.userCode)}</p>${started === undefined ? '' : `\n<p>${started}</p>`}
<p>Go on only if your installer shows the same code. If you did not start an installer, or it shows another code, close this page: someone else may have sent you this link.</p></div>`;
}

/**
 * What a request sent with the registration asks for, as the registration page shows it before
 * anything is typed: the names and the key; nothing for a request that does not parse (the form
 * says so when it is sent).
 * @example
 * requestSummary(csrPem); // '<div class="request-details">...'
 */
export function requestSummary(csrPem: string): string {
  let described: ReturnType<typeof describeRequest>;
  try {
    described = describeRequest(csrPem);
  } catch {
    return '';
  }
  const { names, key, keyFingerprint } = described;
  return (
    `<div class="request-details"><p>It asks for a certificate for ${names.map((n) => `<strong>${escapeHtml(n)}</strong>`).join(', ') || 'your address'} to this key:</p>` +
    `<p>${escapeHtml(key)}, SHA-256 of the public key:</p><p class="fingerprint">${keyFingerprint}</p></div>`
  );
}

/** When and where, as a sentence; `undefined` when nothing is known. */
function startedSentence(origin: HandoffOrigin): string | undefined {
  if (origin.startedAtMs === undefined) return undefined;
  const when = new Date(origin.startedAtMs)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
  const where = origin.startedFrom === undefined ? '' : ` from the address ${escapeHtml(origin.startedFrom)}`;
  return `It was started on ${escapeHtml(when)}${where}.`;
}

/** The names a request asks for, and its key, for a person to read (`keyFingerprint` is HTML). */
function describeRequest(csrPem: string): { names: string[]; key: string; keyFingerprint: string } {
  const csr = parseCsr(csrPem);
  const names = [
    ...csr.subjectAltNames.email,
    ...csr.subjectAltNames.dns,
    ...csr.subjectAltNames.ip,
    ...csr.subject.filter((a) => a.type === 'emailAddress' || a.type === 'CN').map((a) => a.value),
  ];
  return { names: [...new Set(names)], key: formatKeyDescription(csr.key), keyFingerprint: fingerprintHtml(sha256Hex(csr.publicKeyDer)) };
}

/**
 * The details shown above the Confirm button of a registration's confirmation pages (the
 * mailed link and the ping page): the user code, when and where the flow began, and each
 * request sent with the registration (names, key type, SHA-256 of the public key).
 * @example
 * sendPage(res, 200, 'Confirm your registration', (await consentDetails(ctx, accountId, email)) + form);
 */
export async function consentDetails(deps: ConsentDeps, accountId: number, email: string): Promise<string> {
  const origin = await deps.handoffs.originOf(accountId);
  const parts = [`<p>Confirm that ${escapeHtml(email)} is your address and that you started this registration.</p>`];
  if (origin.userCode !== undefined) {
    parts.push(`<p>The installer that started it shows this code:</p>\n<p class="user-code">${escapeHtml(origin.userCode)}</p>`);
    parts.push('<p>Confirm only if your installer shows the same code.</p>');
  } else {
    parts.push('<p>No installer code goes with this registration: confirm only if you registered on this site yourself.</p>');
  }
  const started = startedSentence(origin);
  if (started !== undefined) parts.push(`<p>${started}</p>`);
  const requests = ((await deps.pendingRequests?.requests.pendingOf(accountId)) ?? []).filter((r) => r.source === 'registration');
  for (const request of requests) parts.push(registrationRequestNotice(request.csrPem, email));
  parts.push('<p>If you did not start this, press "This was not me": nothing is confirmed and the registration is deleted.</p>');
  return parts.join('\n');
}

/**
 * What confirming does with a request sent with the registration, true for both cases of
 * `issueRegistrationRequests`: a request naming exactly the confirmed address is issued on
 * confirmation; one naming another address (the person changed the prefilled one) is not, and
 * waits for the owner on the account page, where approving gives a certificate for the
 * confirmed address to the request's key.
 */
function registrationRequestNotice(csrPem: string, email: string): string {
  const { names, key, keyFingerprint } = describeRequest(csrPem);
  const keyLines = `<p>${escapeHtml(key)}, SHA-256 of the public key:</p><p class="fingerprint">${keyFingerprint}</p>`;
  const listed = names.map((n) => `<strong>${escapeHtml(n)}</strong>`).join(', ');
  if (namesExactly(parseCsr(csrPem), email)) {
    return `<div class="request-details"><p>Confirming also issues a certificate for ${listed || 'the address'} to this key:</p>${keyLines}</div>`;
  }
  return (
    `<div class="request-details"><p>The installer also sent a certificate request for ${listed || 'no address'}, to this key:</p>${keyLines}` +
    `<p>It names another address than ${escapeHtml(email)}, so confirming does not issue it: it waits on your account page, where you can approve a certificate for ${escapeHtml(email)} to this key, or discard it.</p></div>`
  );
}

/**
 * The form under {@link consentDetails}: Confirm, or refuse. Nothing is confirmed by opening the
 * page (mail scanners and link previews open links nobody clicked); only the button's POST does.
 * @param action - where the form posts (the confirmation link's path, or the ping page's).
 * @example
 * consentForm('/index.php?id=confirm', token);
 */
export function consentForm(action: string, token: string): string {
  return `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit" name="action" value="confirm">Confirm</button>
<button type="submit" name="action" value="reject" class="secondary">This was not me</button></form>
<p>Nothing is confirmed until you press Confirm.</p>`;
}
