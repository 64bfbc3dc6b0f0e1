/**
 * ExampleMail's installer step: gets the server's certificate for its postmaster address with
 * the public SDK, the mail hook attached so that the CA's email ping is answered by the server
 * itself (nobody has to open the confirmation mail), and ExampleMail's reload as the SDK's
 * post-install command, so the running server serves the certificate over STARTTLS as soon as it
 * is live. Resumable: call it again after anything.
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
 * @param {string} options.address - the postmaster address to certify (a mailbox this server receives)
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
    names: { email: [address] },
    credentials,
    trustAnchorsPem,
    registration: { prefill: { emailAddress: { value: address, sure: true } }, installationLabel: 'ExampleMail installer', ...registration },
    emailPing: { nonces },
    ...(pidFile ? { postInstall: reloadCommand(pidFile) } : {}),
    ...(onEvent ? { onEvent } : {}),
    ...(signal ? { signal } : {}),
  });
}
