/**
 * How the key types read on the key step: a short name, and a note where one helps choosing.
 */
import type { KeyType } from '@certwizard/wizard';

/** The name of each key type. */
export const KEY_TYPE_NAMES: Readonly<Record<KeyType, string>> = {
  p256: 'ECDSA P-256',
  p384: 'ECDSA P-384',
  rsa2048: 'RSA 2048',
  rsa3072: 'RSA 3072',
  rsa4096: 'RSA 4096',
};

const NOTES: Partial<Record<KeyType, string>> = {
  p256: 'recommended',
  rsa2048: 'for old software',
  rsa4096: 'slow to make',
};

/** `ECDSA P-256 (recommended)`: the option's label. */
export function keyTypeLabel(type: KeyType): string {
  const note = NOTES[type];
  return note === undefined ? KEY_TYPE_NAMES[type] : `${KEY_TYPE_NAMES[type]} (${note})`;
}
