/**
 * `POST /api/wizard/token` (RFC 7636 §4.5, §4.6): exchanges the one-time code and the PKCE
 * verifier for the confirmed address, the account's names and an installation token.
 */
import {
  decodeWizardTokenRequest,
  encodeWizardTokenError,
  encodeWizardTokenResponse,
  WIZARD_TOKEN_ERRORS,
  WIZARD_TOKEN_REQUEST_MEDIA_TYPE,
  type WizardTokenErrorCode,
} from '@certwizard/protocol';
import type { Request, Response } from 'express';
import { GrantInvalidError } from '../../accounts/errors.js';
import type { RegistrationContext } from './context.js';
import { readBody } from '../read-body.js';
import { clientKey } from './request-checks.js';

/** Body limit of the token endpoint, in bytes (a code and a verifier are under 300). */
export const WIZARD_TOKEN_MAX_BODY_BYTES = 4096;

function fail(res: Response, code: WizardTokenErrorCode, message: string): void {
  res.status(WIZARD_TOKEN_ERRORS[code]).json(encodeWizardTokenError(code, message));
}

/**
 * Builds the handler.
 * @example
 * app.post('/api/wizard/token', wizardTokenEndpoint(ctx));
 */
export function wizardTokenEndpoint(ctx: RegistrationContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    const limit = await ctx.limiters.tokens.take(clientKey(req));
    if (!limit.allowed) {
      req.resume();
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(limit.retryAfterMs / 1000))));
      fail(res, 'too_many_requests', 'too many attempts; retry later');
      return;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== WIZARD_TOKEN_REQUEST_MEDIA_TYPE) {
      req.resume();
      fail(res, 'invalid_request', `the body must be ${WIZARD_TOKEN_REQUEST_MEDIA_TYPE}`);
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, WIZARD_TOKEN_MAX_BODY_BYTES);
    } catch {
      fail(res, 'invalid_request', `the body is larger than ${WIZARD_TOKEN_MAX_BODY_BYTES} bytes`);
      return;
    }
    const decoded = decodeWizardTokenRequest(body.toString('utf8'));
    if (!decoded.ok) {
      fail(res, 'invalid_request', decoded.message);
      return;
    }
    try {
      const { installationLabel } = decoded.request;
      const { accountId, tokenId, installationToken } = await ctx.tokens.redeemAuthorizationCode(
        decoded.request.code,
        decoded.request.codeVerifier,
        installationLabel === undefined ? {} : { label: installationLabel },
      );
      const account = await ctx.accounts.get(accountId);
      if (account === undefined) throw new Error('the account of a redeemed code is gone');
      ctx.logger.info('installation token issued', { accountId, tokenId });
      res.status(200).json(
        encodeWizardTokenResponse({
          EmailAddress: account.email,
          FirstName: account.firstName,
          ...(account.middleName !== undefined ? { MiddleName: account.middleName } : {}),
          LastName: account.lastName,
          installation_token: installationToken,
          token_type: 'Bearer',
        }),
      );
    } catch (err) {
      if (err instanceof GrantInvalidError) {
        fail(res, 'invalid_grant', err.message);
        return;
      }
      ctx.logger.error('wizard token failed', { error: err });
      fail(res, 'internal_error', 'the CA could not process the request; see its log');
    }
  };
}
