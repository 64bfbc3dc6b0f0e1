/**
 * `/api/ccsr.php` (POST; GET for old clients): certifies the key of a PEM request for one of the
 * account's confirmed addresses (S/MIME, optionally code signing). Issued at once when the person
 * authenticated with their password (`200,Issued <id>` + chain); stored for the owner's approval
 * when an installation token sent it (`202,Pending <id>`, and a mail to the owner).
 */
import { type CacertApiErrorCode, CACERT_API_ERRORS, decodeCcsrRequest, encodeCcsrAnswer } from '@certwizard/protocol';
import { type CertificateRequest, parseCsr, PkiError } from '@certwizard/pki';
import type { Request, Response } from 'express';
import { accountRequester } from '../../ca/request-approval.js';
import { decideEmailCertificate, needsApproval } from '../../ca/email-certificate-policy.js';
import { RefusedError } from '../../errors.js';
import type { CertificateRequestRecord, DecidedProfile } from '../../store/certificate-requests.js';
import { toWireError } from '../error-writer.js';
import { authenticateApiCaller, type ApiCaller, readApiParams, sendFailure, sendText } from './api-request.js';
import type { CacertApiContext } from './context.js';
import { describeCsr } from '../../store/certificate-requests.js';

/**
 * Builds the handler.
 * @example
 * router.post(CCSR_PATH, textAnswers(ctx, CCSR_PATH, ccsrEndpoint(ctx)));
 */
export function ccsrEndpoint(ctx: CacertApiContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const read = await readApiParams(req);
    if (!read.ok) return sendFailure(res, read);
    const caller = await authenticateApiCaller(ctx, req, read.params);
    if (!caller.ok) return sendFailure(res, caller);
    const fields = decodeCcsrRequest(read.params);
    if (!fields.ok) return sendFailure(res, fields);
    let csr: CertificateRequest;
    try {
      csr = parseCsr(fields.request.csrPem);
    } catch (err) {
      const failure = csrFailure(err);
      if (failure === undefined) throw err;
      return sendFailure(res, failure);
    }
    const { account } = caller;
    const decision = decideEmailCertificate(account, ctx.addresses.confirmedOf(account), fields.request);
    if (!decision.ok) return sendFailure(res, decision);
    const stored = {
      accountId: account.id,
      ...describeCsr(csr),
      profile: decision.profile,
      source: caller.credential === 'installation' ? ('installation' as const) : ('ccsr' as const),
      ...(caller.tokenId !== undefined ? { installationTokenId: caller.tokenId } : {}),
    };

    // The same request again (an installer resuming after a crash, a retry after a lost answer):
    // answered from the request already stored, never a second request or certificate.
    const earlier = replayOf(ctx, account.id, csr.fingerprintSha256, decision.profile);
    if (earlier !== undefined) {
      ctx.logger.info('certificate request replayed', { accountId: account.id, requestId: earlier.record.id });
      const answer = encodeCcsrAnswer(
        earlier.chainPem === undefined
          ? { status: 'pending', requestId: earlier.record.id }
          : { status: 'issued', requestId: earlier.record.id, chainPem: earlier.chainPem },
      );
      return sendText(res, answer.status, answer.body);
    }

    if (needsApproval(caller.credential)) {
      const record = ctx.requests.create(stored);
      ctx.logger.info('certificate request pending', { accountId: account.id, requestId: record.id, installationId: caller.tokenId });
      await mailOwner(ctx, caller, record);
      const answer = encodeCcsrAnswer({ status: 'pending', requestId: record.id });
      return sendText(res, answer.status, answer.body);
    }

    let chainPem: string;
    let serialHex: string;
    try {
      ({ chainPem, serialHex } = await ctx.ca.issue(csr.der, { client: accountRequester(account.id), profile: decision.profile }));
    } catch (err) {
      if (err instanceof RefusedError) return sendFailure(res, { code: 'refused', message: err.message });
      const failure = csrFailure(err);
      if (failure === undefined) throw err;
      return sendFailure(res, failure);
    }
    const record = ctx.requests.create(stored, { issuedSerial: serialHex });
    const answer = encodeCcsrAnswer({ status: 'issued', requestId: record.id, chainPem });
    sendText(res, answer.status, answer.body);
  };
}

/**
 * The account's earlier request from the same CSR for the same profile that still stands: pending
 * (or being approved), or issued with a certificate that is valid and unexpired (with its chain).
 * A discarded or rejected request, or a revoked or expired certificate, is no replay: the request
 * is then taken as new.
 */
function replayOf(
  ctx: CacertApiContext,
  accountId: number,
  fingerprintSha256: string,
  profile: DecidedProfile,
): { record: CertificateRequestRecord; chainPem?: string } | undefined {
  const wanted = JSON.stringify(profile);
  for (const record of ctx.requests.withFingerprint(accountId, fingerprintSha256)) {
    if (JSON.stringify(record.profile) !== wanted) continue;
    if (record.status === 'pending' || record.status === 'approved') return { record };
    if (record.status !== 'issued' || record.certificateSerial === undefined) continue;
    const certificate = ctx.store.get(record.certificateSerial);
    if (certificate?.status === 'valid' && certificate.notAfter.getTime() > Date.now()) {
      return { record, chainPem: certificate.pem + ctx.ca.certificate.pem };
    }
  }
  return undefined;
}

/**
 * The failure line of a refused request (`csr_*`), or undefined for an error that is not a refusal.
 * @example
 * const failure = csrFailure(err); if (failure === undefined) throw err;
 */
export function csrFailure(err: unknown): { code: CacertApiErrorCode; message: string } | undefined {
  if (!(err instanceof PkiError)) return undefined;
  const wire = toWireError(err);
  if (!(wire.code in CACERT_API_ERRORS) || wire.code === 'internal_error') return undefined;
  return { code: wire.code as CacertApiErrorCode, message: wire.message.replace(/[\r\n]+/g, ' ') };
}

/**
 * Tells the owner a request waits for them. A failed mail is logged, not returned: the request
 * is stored and shows on the account page either way.
 */
async function mailOwner(ctx: CacertApiContext, caller: ApiCaller, record: CertificateRequestRecord): Promise<void> {
  const installation = ctx.tokens.listTokens(caller.account.id).find((t) => t.id === caller.tokenId)?.label ?? 'an installation';
  const text = [
    `Hello ${caller.account.firstName},`,
    '',
    `${installation} asked for a certificate in your name. It is issued only after you approve it:`,
    '',
    `  Names:        ${record.profile.subjectAltNames.email.join(', ')}`,
    `  Key:          ${record.keyDescription}`,
    `  SHA-256 of the request: ${record.fingerprintSha256}`,
    '',
    `Approve or discard it on your account page: ${ctx.publicUrl}/account`,
    '',
    'If you did not expect this, discard it and revoke the installation there.',
  ].join('\n');
  try {
    await ctx.mailer.send({ to: caller.account.email, subject: 'A certificate request waits for your approval', text });
  } catch (err) {
    ctx.logger.error('pending request mail failed', { accountId: caller.account.id, requestId: record.id, error: err });
  }
}
