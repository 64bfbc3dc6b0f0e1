/**
 * The certificate lists of the account page and the operator area, and the revocation pages both
 * share: a Revoke form per live certificate (reason select, CSRF token), a confirmation page (a
 * POST that changes nothing: it only asks), and the page that answers the revocation with its
 * time and reason (the first revocation's for a repeat). A GET never revokes: the forms POST.
 */
import { REVOCATION_REASONS, type RevocationReasonName } from '@certwizard/protocol';
import type { OwnerCertificateStatus } from '../../ca/certificate-status.js';
import { certificateNames } from '../../ca/certificate-status.js';
import type { RevokeOutcome } from '../../ca/request-service.js';
import type { StoredCertificate } from '../../store/certificate-store.js';
import { escapeHtml, escapeShown, utcMinute } from './html.js';

/** The words a person reads for each reason a holder may give (RFC 5280 §5.3.1 names in brackets). */
export const REASON_LABELS: Readonly<Record<string, string>> = {
  unspecified: 'No reason given',
  keyCompromise: 'The private key may be known to someone else',
  affiliationChanged: 'The name changed hands',
  superseded: 'Replaced by a new certificate',
  cessationOfOperation: 'The name is no longer in use',
  privilegeWithdrawn: 'Withdrawn by the CA',
};

/** The reason as a person reads it, with its RFC 5280 name. */
export function reasonText(reason: string): string {
  return `${REASON_LABELS[reason] ?? reason} (${reason})`;
}

/**
 * The reason `<select>` of a Revoke form.
 * @param reasons - the reasons offered: a holder's by default; an operator may have more.
 */
export function reasonSelectHtml(id: string, reasons: readonly string[] = REVOCATION_REASONS, selected: string = 'unspecified'): string {
  const options = reasons.map((r) => `<option value="${escapeHtml(r)}"${r === selected ? ' selected' : ''}>${escapeHtml(reasonText(r))}</option>`).join('');
  return `<label for="${escapeHtml(id)}">Reason</label><select id="${escapeHtml(id)}" name="reason">${options}</select>`;
}

/** A status as shown: the word, and for a revoked certificate when and why. */
export function statusHtml(c: StoredCertificate, status: OwnerCertificateStatus): string {
  if (status !== 'revoked') return status;
  return `revoked ${utcMinute(c.revokedAt?.getTime())}, ${escapeHtml(reasonText(c.revocationReason ?? 'unspecified'))}`;
}

/**
 * A table of certificates: serial, names, expiry, status and, for each certificate that is not
 * revoked or expired, a Revoke form posting to `${actionBase}/<serial>/revoke`.
 */
export function certificateTableHtml(
  certificates: readonly StoredCertificate[],
  statuses: ReadonlyMap<string, OwnerCertificateStatus>,
  options: {
    readonly csrf: string;
    readonly actionBase: string;
    readonly reasons?: readonly string[];
    readonly extraColumn?: (c: StoredCertificate) => string;
  },
): string {
  const rows = certificates.map((c) => {
    const status = statuses.get(c.serialHex) ?? 'valid';
    const serial = escapeHtml(c.serialHex);
    const action =
      status === 'revoked' || status === 'expired'
        ? ''
        : `<form method="post" action="${options.actionBase}/${serial}/revoke">${options.csrf}${reasonSelectHtml(`reason-${serial}`, options.reasons)}<button type="submit" class="secondary" aria-label="Revoke certificate ${serial}">Revoke</button></form>`;
    return (
      `<tr data-serial="${serial}"><td data-label="Serial"><code class="fp">${serial}</code></td><td data-label="For">${escapeShown(certificateNames(c).join(', '))}</td>` +
      `${options.extraColumn ? options.extraColumn(c) : ''}<td data-label="Expires">${utcMinute(c.notAfter.getTime())}</td>` +
      `<td data-label="Status" class="status">${statusHtml(c, status)}</td><td data-label="Revoke">${action}</td></tr>`
    );
  });
  const extraHead = options.extraColumn ? '<th scope="col">Account</th>' : '';
  return `<table class="stack"><thead><tr><th scope="col">Serial</th><th scope="col">For</th>${extraHead}<th scope="col">Expires</th><th scope="col">Status</th><th scope="col">Revoke</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

/** The confirmation page's body: what will be revoked, why, and the one button that does it. */
export function confirmRevocationHtml(
  c: StoredCertificate,
  reason: RevocationReasonName | string,
  options: { readonly csrf: string; readonly action: string; readonly back: string },
): string {
  return `<p>Revoking is final: every client that checks the CRL will refuse this certificate from now on.</p>
<dl><dt>Serial</dt><dd><code class="fp">${escapeHtml(c.serialHex)}</code></dd><dt>For</dt><dd>${escapeShown(certificateNames(c).join(', '))}</dd>
<dt>Expires</dt><dd>${utcMinute(c.notAfter.getTime())}</dd><dt>Reason</dt><dd>${escapeHtml(reasonText(reason))}</dd></dl>
<form method="post" action="${options.action}">${options.csrf}<input type="hidden" name="reason" value="${escapeHtml(reason)}"><input type="hidden" name="confirm" value="yes"><button type="submit">Yes, revoke this certificate</button></form>
<p><a href="${options.back}">Cancel</a></p>`;
}

/** The answer's body: revoked now, or already revoked (the first revocation's time and reason). */
export function revocationDoneHtml(outcome: Extract<RevokeOutcome, { revokedAt: Date }>, back: string): string {
  const when = utcMinute(outcome.revokedAt.getTime());
  const why = escapeHtml(reasonText(outcome.reason));
  const serial = `<code class="fp">${escapeHtml(outcome.certificate.serialHex)}</code>`;
  const text =
    outcome.status === 'revoked'
      ? `Certificate ${serial} is revoked as of ${when}: ${why}.`
      : `Certificate ${serial} was already revoked on ${when}: ${why}. Nothing changed.`;
  return `<p role="status">${text} The next CRL lists it.</p>\n<p><a href="${back}">Back</a></p>`;
}
