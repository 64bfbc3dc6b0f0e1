/**
 * How the account and operator pages name an installation: the label stored with its token and
 * when it connected (redeemed its one-time code), so a person can tell two installations apart.
 */
import { INSTALLATION_TOKEN_LABEL_DEFAULT } from '../../accounts/installation-token-service.js';
import type { InstallationTokenInfo } from '../../accounts/installation-tokens.js';
import { utcMinute } from './html.js';

/**
 * The installation's name as plain text (escape it with `escapeShown`): `<label> (connected
 * <date>)`, or `an installer (connected <date>)` when its token carries only the default label
 * (the token endpoint stores none of its own); `a removed installation` when the token is gone.
 * @example
 * installationName({ id: 1, label: 'certwizard', createdAtMs: 0 }); // 'certwizard (connected 1970-01-01 00:00 UTC)'
 */
export function installationName(token: Pick<InstallationTokenInfo, 'label' | 'createdAtMs'> | undefined): string {
  if (token === undefined) return 'a removed installation';
  const label = token.label === INSTALLATION_TOKEN_LABEL_DEFAULT ? 'an installer' : token.label;
  return `${label} (connected ${utcMinute(token.createdAtMs)})`;
}
