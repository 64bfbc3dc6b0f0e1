/**
 * How the key types read on the key step.
 */
import type { KeyType } from '@certwizard/wizard';

/** The label of each key type. */
export const KEY_TYPE_LABELS: Readonly<Record<KeyType, string>> = {
  p256: 'ECDSA P-256: fast, small, accepted everywhere (recommended)',
  p384: 'ECDSA P-384: a larger elliptic curve',
  rsa2048: 'RSA 2048: for old software that cannot use ECDSA',
  rsa3072: 'RSA 3072',
  rsa4096: 'RSA 4096: slow to make (up to a minute)',
};
