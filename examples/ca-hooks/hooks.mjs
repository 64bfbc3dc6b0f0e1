// Example hooks module for the certwizard reference CA:
//
//   certwizard-ca serve --identity DIR --data DIR --hooks examples/ca-hooks/hooks.mjs
//
// Each export is optional. Without a hooks module the CA signs every valid request for the
// names it asks (ssl_api's default). This one shows a typical small-office policy:
//   - authorize: only names under the allowed domains, no wildcards;
//   - presign: at most 30 days of validity, server-only EKU for requests without addresses;
//   - postsign: an append-only audit line per certificate in the data directory.
// The allowed domains come from CERTWIZARD_ALLOWED_DOMAINS (comma-separated), default
// "example.test". A hook module is operator code: it may read its own environment and files.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

const allowed = (process.env.CERTWIZARD_ALLOWED_DOMAINS ?? 'example.test')
  .split(',')
  .map((d) => d.trim().toLowerCase())
  .filter(Boolean);

let auditFile;

const underAllowedDomain = (name) => allowed.some((d) => name === d || name.endsWith(`.${d}`));

/** Called once before the CA serves requests. */
export function boot(info) {
  auditFile = join(info.dataDir, 'issued.log');
}

/** Decides whether to sign at all, from the names asked for and who asks. */
export function authorize(subjectAltNames, ctx) {
  if (!/^[a-z0-9]{1,64}$/i.test(ctx.clientHash)) return false;
  const dnsOk = subjectAltNames.dns.every((n) => !n.startsWith('*.') && underAllowedDomain(n));
  const emailOk = subjectAltNames.email.every((a) => underAllowedDomain(a.slice(a.lastIndexOf('@') + 1)));
  const noIps = subjectAltNames.ip.length === 0;
  return dnsOk && emailOk && noIps;
}

/** Shapes the certificate before it is signed. */
export function presign(draft) {
  const maxEnd = draft.notBefore.getTime() + 30 * 86_400_000;
  if (draft.notAfter.getTime() > maxEnd) draft.notAfter = new Date(maxEnd);
  if (draft.subjectAltNames.email.length === 0) draft.extendedKeyUsage = ['serverAuth'];
  return draft;
}

/** Records every certificate after it is stored. */
export function postsign(certificate, ctx) {
  if (!auditFile) return;
  const line = {
    serial: certificate.serialHex,
    client: ctx.clientHash,
    publicKeyHash: ctx.publicKeyHash,
    notAfter: certificate.notAfter.toISOString(),
  };
  appendFileSync(auditFile, `${JSON.stringify(line)}\n`);
}
