/**
 * What the certificate is for, in the words every step uses: a TLS server certificate for the
 * server's host names, an S/MIME certificate for the person's address, or one carrying both.
 */
import type { WizardConfig } from '@certwizard/wizard';

/**
 * One sentence naming the kind of certificate and its names.
 * @param hostNames - the host names (Unicode form for display); empty when not known yet.
 * @param email - the person's address.
 * @example
 * certificatePurpose({ certificate: { server: {...}, address: false } }, ['mail.example.org'], 'ada@example.org');
 * // 'a TLS server certificate for mail.example.org'
 */
export function certificatePurpose(config: Pick<WizardConfig, 'certificate'>, hostNames: readonly string[], email: string): string {
  const names = hostNames.length === 0 ? 'its host names' : joinNames(hostNames);
  if (config.certificate.server === undefined)
    return `an S/MIME certificate for ${email || 'your email address'} (signing and encrypting mail, logging in as that address)`;
  if (!config.certificate.address) return `a TLS server certificate for ${names}`;
  return `a TLS server certificate for ${names} that also carries ${email || 'your email address'} (S/MIME)`;
}

/** `a`, `a and b`, `a, b and c`. */
export function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
