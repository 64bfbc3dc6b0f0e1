/**
 * `POST /api/enroll` (form fields `secret`, `csr`): a request presented with a one-time
 * enrollment secret the owner made on the account page (Dogtag's shared-token enrollment). The
 * request must name exactly one address (subjectAltName rfc822Name or subject emailAddress),
 * a confirmed one of the account; it is issued at once as an S/MIME certificate under the
 * account's first name form, and the secret is used up. Answers as ccsr: `200,Issued <id>` and
 * the chain.
 */
import { encodeCcsrAnswer } from '@certwizard/protocol';
import { type CertificateRequest, parseCsr } from '@certwizard/pki';
import type { Request, Response } from 'express';
import { EnrollmentSecretInvalidError } from '../../accounts/errors.js';
import { decideEmailCertificate, nameForms } from '../../ca/email-certificate-policy.js';
import { accountRequester } from '../../ca/request-approval.js';
import { RefusedError } from '../../errors.js';
import { readApiParams, sendFailure, sendText } from './api-request.js';
import { csrFailure } from './ccsr-endpoint.js';
import type { CacertApiContext } from './context.js';
import { describeCsr } from '../../store/certificate-requests.js';

/** Path of the enrollment endpoint. */
export const ENROLL_PATH = '/api/enroll';

/**
 * Builds the handler.
 * @example
 * router.post(ENROLL_PATH, textAnswers(ctx, ENROLL_PATH, enrollEndpoint(ctx)));
 */
export function enrollEndpoint(ctx: CacertApiContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const read = await readApiParams(req);
    if (!read.ok) return sendFailure(res, read);
    const secrets = read.params.getAll('secret');
    const pems = read.params.getAll('csr');
    if (secrets.length !== 1 || pems.length !== 1 || pems[0] === '') {
      return sendFailure(res, { code: 'invalid_request', message: 'send secret and csr, once each' });
    }
    let found: { id: number; accountId: number };
    try {
      found = ctx.secrets.peek(secrets[0] as string);
    } catch (err) {
      if (err instanceof EnrollmentSecretInvalidError) return sendFailure(res, { code: 'authentication_failed', message: 'Authentication failed' });
      throw err;
    }
    const account = ctx.accounts.get(found.accountId);
    if (account === undefined) return sendFailure(res, { code: 'authentication_failed', message: 'Authentication failed' });
    let csr: CertificateRequest;
    try {
      csr = parseCsr(pems[0] as string);
    } catch (err) {
      const failure = csrFailure(err);
      if (failure === undefined) throw err;
      return sendFailure(res, failure);
    }
    const addresses = new Set([
      ...csr.subjectAltNames.email,
      ...csr.subject.filter((a) => a.type === 'emailAddress').map((a) => a.value),
    ].map((e) => e.toLowerCase()));
    if (addresses.size !== 1 || csr.subjectAltNames.dns.length > 0 || csr.subjectAltNames.ip.length > 0) {
      return sendFailure(res, { code: 'invalid_request', message: 'the request must name exactly one address and no DNS name or IP' });
    }
    const decision = decideEmailCertificate(account, ctx.addresses.confirmedOf(account), {
      email: [...addresses][0] as string,
      name: nameForms(account)[0] as string,
      codeSigning: false,
    });
    if (!decision.ok) return sendFailure(res, decision);
    try {
      ctx.secrets.consume(found.id);
    } catch (err) {
      if (err instanceof EnrollmentSecretInvalidError) return sendFailure(res, { code: 'authentication_failed', message: 'Authentication failed' });
      throw err;
    }
    let issued: { chainPem: string; serialHex: string };
    try {
      issued = await ctx.ca.issue(csr.der, { client: accountRequester(account.id), profile: decision.profile });
    } catch (err) {
      // Nothing was issued: the secret may be used again.
      ctx.secrets.release(found.id);
      if (err instanceof RefusedError) return sendFailure(res, { code: 'refused', message: err.message });
      const failure = csrFailure(err);
      if (failure === undefined) throw err;
      return sendFailure(res, failure);
    }
    const record = ctx.requests.create(
      {
        accountId: account.id,
        ...describeCsr(csr),
        profile: decision.profile,
        source: 'enrollment_secret',
      },
      { issuedSerial: issued.serialHex },
    );
    ctx.logger.info('enrollment secret used', { accountId: account.id, requestId: record.id, serial: issued.serialHex });
    const answer = encodeCcsrAnswer({ status: 'issued', requestId: record.id, chainPem: issued.chainPem });
    sendText(res, answer.status, answer.body);
  };
}
