/**
 * The CA's revocation policy when an account loses names: after a domain is removed (by its
 * owner or an operator), the `onNamesLost` hook (ca/hooks.ts) is shown the account's valid,
 * unexpired certificates that carry the domain or a name below it, and the CA revokes those it
 * answers, with reason `cessationOfOperation` (or the `affiliationChanged` it names). No hook,
 * no revocation: the installations learn of the loss from cdomains and ask their user first.
 *
 * A lapsed verification is not an event here: lapse is computed when a name is checked, and no
 * job watches for it (docs/lifecycle.md says so).
 */
import { isNameWithinDomain } from '@certwizard/protocol';
import type { Logger } from '../log.js';
import { certificateNames } from './certificate-status.js';
import type { CaHooks, CertificateWithLostNames } from './hooks.js';
import type { RequestService } from './request-service.js';

/** What {@link namesLostPolicy} needs. */
export interface NamesLostDeps {
  readonly service: RequestService;
  readonly hooks: Pick<CaHooks, 'onNamesLost'>;
  readonly logger: Logger;
  /** The CA's clock, ms since the epoch (which certificates are unexpired). */
  readonly now: () => number;
}

/**
 * The `onRemoved` of the DomainService: asks the hook, revokes what it answers. Never throws: a
 * failing hook or revocation is logged (the removal is stored and stands).
 * @example
 * new DomainService(store, { onRemoved: namesLostPolicy({ service, hooks, logger, now }) });
 */
export function namesLostPolicy(deps: NamesLostDeps): (accountId: number, domain: string) => Promise<void> {
  return async (accountId, domain) => {
    const hook = deps.hooks.onNamesLost;
    if (hook === undefined) return;
    try {
      const nowMs = deps.now();
      const certificates: CertificateWithLostNames[] = (await deps.service.certificatesOf(accountId))
        .filter((c) => c.status === 'valid' && c.notAfter.getTime() > nowMs)
        .map((c) => ({ serialHex: c.serialHex, names: certificateNames(c), notAfter: c.notAfter }))
        .filter((c) => c.names.some((name) => !name.includes('@') && isNameWithinDomain(name, domain)));
      if (certificates.length === 0) return;
      const answer = (await hook({ accountId, why: 'domain_removed', names: [domain], certificates })) ?? [];
      const offered = new Set(certificates.map((c) => c.serialHex));
      for (const item of answer) {
        const serialHex = (typeof item === 'string' ? item : item.serialHex).toLowerCase();
        const reason = typeof item === 'string' ? 'cessationOfOperation' : item.reason === 'affiliationChanged' ? 'affiliationChanged' : 'cessationOfOperation';
        if (!offered.has(serialHex)) {
          deps.logger.warn('onNamesLost answered a certificate it was not offered; ignored', { accountId, serial: serialHex });
          continue;
        }
        await deps.service.revoke(serialHex, { holder: { accountId }, reason, by: { via: 'names_lost_hook' } });
      }
    } catch (err) {
      deps.logger.error('the names-lost policy failed; nothing more is revoked', { accountId, domain, error: err });
    }
  };
}
