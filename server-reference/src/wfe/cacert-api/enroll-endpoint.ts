/**
 * `POST /api/enroll` (form fields `secret`, `csr`): a request presented with a one-time
 * enrollment secret the owner made on the account page (Dogtag's shared-token enrollment). The
 * request must name exactly one address, a confirmed one of the account; it is issued at once as
 * an S/MIME certificate under the account's first name form, and the secret is used up
 * (`enrollmentSecretPolicy`). Answers as ccsr: `200,Issued <id>` and the chain.
 */
import type { Request, Response } from 'express';
import { EnrollmentSecretInvalidError } from '../../accounts/errors.js';
import { enrollmentSecretPolicy } from '../../ca/enrollment-secret-policy.js';
import { AUTHENTICATION_FAILED, readApiParams } from './api-request.js';
import { sendCcsrOutcome, sendFailure } from './answer-writer.js';
import type { CacertApiContext } from './context.js';

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
      return sendFailure(res, { ok: false, code: 'invalid_request', message: 'send secret and csr, once each' });
    }
    let found: { id: number; accountId: number };
    try {
      found = await ctx.secrets.peek(secrets[0] as string);
    } catch (err) {
      if (err instanceof EnrollmentSecretInvalidError) return sendFailure(res, AUTHENTICATION_FAILED);
      throw err;
    }
    const account = await ctx.accounts.get(found.accountId);
    if (account === undefined) return sendFailure(res, AUTHENTICATION_FAILED);
    const policy = enrollmentSecretPolicy(account, await ctx.addresses.confirmedOf(account), { secrets: ctx.secrets, secretId: found.id });
    sendCcsrOutcome(res, await ctx.service.submit(pems[0] as string, { accountId: account.id, source: 'enrollment_secret' }, policy));
  };
}
