/**
 * What {@link install} reports while it works: things a log should show, never a secret.
 */

/** Progress of {@link install}. */
export type InstallEvent =
  /**
   * A folder of the installer that group or others could write (`archive/`, `live/`,
   * `archive/<name>/`, or `baseDir`) had those write bits dropped before install wrote into it.
   * Modes are permission bits, e.g. `0o777` before and `0o755` after.
   */
  { readonly type: 'folder-narrowed'; readonly path: string; readonly modeBefore: number; readonly modeAfter: number };
