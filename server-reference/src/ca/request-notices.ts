/**
 * What the request service tells people, by mail: the owner, when an installation asked for a
 * certificate that waits for their approval; the owner, when an operator decided their request.
 * A mail that fails is logged, never returned: the request is stored and decided either way,
 * and shows on the account page.
 */
import type { AccountRepository } from '../accounts/account-store.js';
import type { InstallationTokenRepository } from '../accounts/installation-tokens.js';
import type { Logger } from '../log.js';
import type { Mailer } from '../mail/mailer.js';
import type { CertificateRequestRecord } from '../store/certificate-requests.js';

/** A decision on a pending request, as the notices see it. */
export type RequestDecision =
  | { readonly kind: 'approved'; readonly by: Decider }
  | { readonly kind: 'rejected'; readonly by: Decider; readonly reason: string }
  | { readonly kind: 'discarded'; readonly by: Decider };

/** Who decides a pending request: its owner (an account id) or an operator (an operator id). */
export type Decider = { readonly owner: number } | { readonly operator: number };

/**
 * Hooks the request service calls after it stored something (in the manner of smtp-server's
 * `on*` hooks). Awaited before the service answers, so that a test or a person reading the
 * mailbox right after the answer finds the mail.
 *
 * Contract: a notice never fails the operation it reports; what it throws is logged.
 */
export interface RequestNotices {
  /** A new request was stored as pending (not called for a replay of one). */
  held?(record: CertificateRequestRecord): Promise<void> | void;
  /** A pending request was decided. */
  decided?(record: CertificateRequestRecord, decision: RequestDecision): Promise<void> | void;
}

/** What {@link mailedRequestNotices} needs. */
export interface MailedRequestNoticesDeps {
  readonly accounts: Pick<AccountRepository, 'get'>;
  readonly tokens: Pick<InstallationTokenRepository, 'listTokens'>;
  readonly mailer: Mailer;
  readonly logger: Logger;
  /** The CA's public base URL, without a trailing slash (the account page link). */
  readonly publicUrl: string;
}

/**
 * The notices of the reference CA: "A certificate request waits for your approval" for a request
 * an installation token sent (held for the owner), and "Your certificate request was decided"
 * for an operator's approval or rejection (with the reason). An owner's own decision, a request
 * kept with the registration and one waiting for an operator mail nobody.
 * @example
 * new RequestService({ ..., notices: mailedRequestNotices({ accounts, tokens, mailer, logger, publicUrl }) });
 */
export function mailedRequestNotices(deps: MailedRequestNoticesDeps): RequestNotices {
  const send = async (record: CertificateRequestRecord, subject: string, body: (firstName: string) => string[], failure: string) => {
    // A SCEP request to the CA's own /scep has no account, so no one to mail.
    const account = record.accountId === undefined ? undefined : await deps.accounts.get(record.accountId);
    if (account === undefined) return;
    try {
      await deps.mailer.send({ to: account.email, subject, text: body(account.firstName).join('\n') });
    } catch (err) {
      deps.logger.error(failure, { accountId: account.id, requestId: record.id, error: err });
    }
  };
  return {
    async held(record) {
      if (record.approver !== 'owner' || record.accountId === undefined) return;
      // A device through the owner's personal SCEP URL, or one of the owner's installations.
      const scep = record.source === 'scep';
      if (!scep && record.source !== 'installation') return;
      const who = scep
        ? 'A device, through your personal SCEP URL,'
        : ((await deps.tokens.listTokens(record.accountId)).find((t) => t.id === record.installationTokenId)?.label ?? 'an installation');
      const names = scep ? record.profile.subjectAltNames.dns : record.profile.subjectAltNames.email;
      await send(
        record,
        'A certificate request waits for your approval',
        (firstName) => [
          `Hello ${firstName},`,
          '',
          `${who} asked for a certificate in your name. It is issued only after you approve it:`,
          '',
          ...(scep ? [`  Subject:      ${record.subject || '(empty)'}`] : []),
          `  Names:        ${names.join(', ')}`,
          `  Key:          ${record.keyDescription}`,
          `  SHA-256 of the request: ${record.fingerprintSha256}`,
          '',
          `Approve or discard it on your account page: ${deps.publicUrl}/account`,
          '',
          scep ? 'If you did not set up a device to ask, discard it there.' : 'If you did not expect this, discard it and revoke the installation there.',
        ],
        'pending request mail failed',
      );
    },
    async decided(record, decision) {
      if (!('operator' in decision.by) || decision.kind === 'discarded') return;
      const outcome =
        decision.kind === 'approved'
          ? 'was approved; the certificate is issued. Your installation fetches it on its own.'
          : `was rejected by the CA's operator. The reason given:\n\n  ${decision.reason}`;
      await send(
        record,
        'Your certificate request was decided',
        (firstName) => [
          `Hello ${firstName},`,
          '',
          `Your request ${record.id} for a certificate for ${record.profile.subjectAltNames.dns.join(', ')} ${outcome}`,
          '',
          `Your account page: ${deps.publicUrl}/account`,
        ],
        'decision mail failed',
      );
    },
  };
}
