/**
 * ExampleMail's installer step, with the public SDK: with `hostNames` (ExampleMail's installer
 * passes `['mail.examplemail.test']`), a TLS server certificate for them, the name mail clients
 * reach the server by; the CA verifies their domain by an email ping to its postmaster, which the
 * server answers by itself. Without, an S/MIME certificate for the postmaster address. Either way
 * the mail hook is attached, so that the CA's pings (the registration's confirmation and the
 * domain's) are answered by the server itself (nobody opens a mail), and ExampleMail's reload is
 * the SDK's post-install command, so the running server serves the certificate over STARTTLS as
 * soon as it is live. Resumable: call it again after anything.
 */
import { enroll } from '@certwizard/sdk';
import { reloadCommand } from './mail-server.mjs';

/**
 * Enrolls ExampleMail's certificate.
 * @param {object} options
 * @param {Awaited<ReturnType<typeof import('./mail-server.mjs').startExampleMail>>} options.mail - the running server
 * @param {string} options.caUrl - the CA's address
 * @param {string} options.pingFrom - the CA's ping address (from the CA's documentation)
 * @param {string} options.trustAnchorsPem - the CA certificate ExampleMail ships (pinned)
 * @param {string} options.address - the postmaster address (a mailbox this server receives): the CA account's, and the certified one without `hostNames`
 * @param {string[]} [options.hostNames] - the server's host names, e.g. `['mail.examplemail.test']`: a TLS server certificate for them (the address is then the account's only)
 * @param {string} options.baseDir - where the certificate goes (`live/examplemail/`)
 * @param {string} [options.pidFile] - ExampleMail's pid file (its `pidFile` option): the SDK then runs reload.mjs once the certificate is live
 * @param {import('@certwizard/sdk').CredentialStore} options.credentials - the OS keychain, or an explicit file store
 * @param {import('@certwizard/sdk').EnrollRegistrationOptions} [options.registration] - opener, noBrowser, display...
 * @param {(event: import('@certwizard/sdk').EnrollFlowEvent) => void} [options.onEvent]
 * @param {AbortSignal} [options.signal]
 */
export async function installExampleMailCertificate({
  mail,
  caUrl,
  pingFrom,
  trustAnchorsPem,
  address,
  hostNames,
  baseDir,
  pidFile,
  credentials,
  registration = {},
  onEvent,
  signal,
}) {
  const nonces = await mail.enableCertwizard({ caOrigin: new URL(caUrl).origin, pingFrom });
  return enroll({
    caUrl,
    name: 'examplemail',
    baseDir,
    // A server certificate names the host names only: the CA issues it at once once the domain
    // is verified, where one that also carried the address would wait for the owner's approval.
    names: hostNames === undefined ? { email: [address] } : { dns: hostNames },
    credentials,
    trustAnchorsPem,
    registration: { prefill: { emailAddress: { value: address, sure: true } }, installationLabel: 'ExampleMail installer', ...registration },
    emailPing: { nonces },
    ...(pidFile ? { postInstall: reloadCommand(pidFile) } : {}),
    ...(onEvent ? { onEvent } : {}),
    ...(signal ? { signal } : {}),
  });
}
