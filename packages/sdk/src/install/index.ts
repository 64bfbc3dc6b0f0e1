/**
 * Certificate installation (certbot's layout, switched atomically): {@link install} and
 * {@link readInstalled}, their options, errors and the file-system seam.
 * @packageDocumentation
 */
export { install, type InstallOptions } from './install.js';
export { readInstalled, type ReadInstalledOptions } from './read-installed.js';
export { retireLive, retiredPath, type RetireLiveOptions, type RetireLiveResult } from './retire-live.js';
export type { InstalledCertificate } from './installed-certificate.js';
export type { InstallEvent } from './install-event.js';
export { INSTALL_NAME_PATTERN, isInstallName } from './layout.js';
export { INSTALL_STEPS, type InstallStep } from './install-step.js';
export { DEFAULT_POST_INSTALL_TIMEOUT_MS, type PostInstallCommand } from './post-install.js';
export { nodeFileSystem, type InstallFileHandle, type InstallFileSystem, type InstallStats } from './file-system.js';
export * from './errors.js';
