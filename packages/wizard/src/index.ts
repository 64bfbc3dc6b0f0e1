/**
 * The browser wizard of certwizard: `startWizard()` serves the browser app
 * (`@certwizard/wizard-ui`) on 127.0.0.1 and runs the SDK's `enroll()` for it (`startRenewalWizard()`: `renew()`); the app only
 * renders the flow's progress events. See docs/wizard.md.
 * @packageDocumentation
 */
export { startWizard, type RunningWizard } from './start-wizard.js';
export type { StartWizardOptions, WizardLogger, WizardVendor } from './options.js';
export { startRenewalWizard, type RunningRenewalWizard } from './start-renewal-wizard.js';
export { DEFAULT_NAMES_DROPPED_TIMEOUT_MS, type StartRenewalWizardOptions } from './renewal-options.js';
export { NAME_MAX_LENGTH, checkDetails, type DetailsCheck } from './details.js';
export { LOGO_MAX_BYTES } from './vendor-logo.js';
export { WIZARD_CSP } from './http/security-headers.js';
export * from './errors.js';
export * from './wire.js';
