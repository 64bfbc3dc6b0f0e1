/**
 * The labelled steps of {@link install}, in order. They name where an {@link InstallIoError}
 * happened, and crash tests inject a failure at each of them.
 */

/** Every step of {@link install}, in the order they run. */
export const INSTALL_STEPS = [
  /** lstat of `archive/`, `live/`, `archive/<name>/`, `live/<name>` and the archive entries: the refusals. */
  'inspect',
  /** Creating `archive/`, `live/`, `archive/<name>/` (0700). */
  'prepare-dirs',
  /** Removing `live/.<name>.tmp-*` links a killed run left behind. */
  'clean-stale',
  'write-privkey',
  'write-cert',
  'write-chain',
  'write-fullchain',
  'write-pkcs12',
  /** `archive/<name>/vN/`: the directory of relative links the live link will point at. */
  'link-version',
  /** fsync of `archive/<name>/vN/` and `archive/<name>/`, so the set is on disk before it goes live. */
  'fsync-archive',
  /** The new live link under a temporary name. */
  'link-tmp',
  /** rename(2) of the temporary link over `live/<name>`: the one atomic switch. */
  'switch-live',
  /** fsync of `live/`, so the switch survives a power cut. */
  'fsync-live',
  'post-install',
  /** Switching `live/<name>` back after the post-install command failed. */
  'rollback',
] as const;

/** One of {@link INSTALL_STEPS}. */
export type InstallStep = (typeof INSTALL_STEPS)[number];
