/**
 * Redeeming the registration's one-time code at `POST /api/wizard/token` (RFC 7636 §4.5): the
 * only source of the registered address, the names and the installation token.
 */
import {
  CaRejectedError,
  decodeWizardTokenResponse,
  encodeWizardTokenRequest,
  WIZARD_TOKEN_PATH,
  WIZARD_TOKEN_REQUEST_MEDIA_TYPE,
  type WizardTokenResponse,
} from '@certwizard/protocol';
import { CaProtocolError, RedemptionRefusedError } from '../errors.js';
import { sendCaRequest, type CaRequestContext } from '../transport/ca-request.js';

/**
 * Exchanges `code` and the PKCE `codeVerifier` for the account's details (RFC 7636 §4.5, §4.6:
 * the CA checks the verifier against the challenge sent in the registration URL and spends the
 * code). Only a network failure that proves the request never left, or a 429/503, is retried
 * here. An answer lost on the way back is recovered by redeeming again with the same verifier
 * (a later run, with the code kept through `onCode`): the CA then issues a fresh token and
 * revokes the lost one, inside the code's lifetime.
 * @param firstDelayMs - first wait between retried attempts, in ms.
 * @param installationLabel - what the installer calls itself, sent as `installation_label`.
 * @throws {RedemptionRefusedError} `ERR_SDK_REDEMPTION_REFUSED` with the CA's `caCode` and HTTP `status`.
 * @throws {CaProtocolError} `ERR_SDK_CA_PROTOCOL` for a malformed answer.
 * @throws {CaUnreachableError} `ERR_SDK_CA_UNREACHABLE` after the bounded retries.
 * @example
 * const account = await redeemCode('https://ca.example', code, pair.verifier, 2000, ctx);
 */
export async function redeemCode(
  caUrl: string,
  code: string,
  codeVerifier: string,
  firstDelayMs: number,
  ctx: CaRequestContext,
  installationLabel?: string,
): Promise<WizardTokenResponse> {
  const what = 'wizard token';
  const base = new URL(caUrl);
  const url = `${base.origin}${base.pathname.replace(/\/+$/, '')}${WIZARD_TOKEN_PATH}`;
  // The label tells the account's owner which installer holds the token (the CA's account page).
  const body = encodeWizardTokenRequest({ code, codeVerifier, ...(installationLabel === undefined ? {} : { installationLabel }) });
  const answer = await sendCaRequest(
    { what, url, method: 'POST', headers: { 'Content-Type': WIZARD_TOKEN_REQUEST_MEDIA_TYPE, Accept: 'application/json' }, body, initialDelayMs: firstDelayMs },
    ctx,
  );
  try {
    return decodeWizardTokenResponse(answer.status, answer.body);
  } catch (error) {
    if (error instanceof CaProtocolError) throw error;
    if (error instanceof CaRejectedError) {
      throw new RedemptionRefusedError(`the CA refused the registration code (${error.caCode}, HTTP ${error.status})`, error.caCode, error.status, {
        cause: error,
      });
    }
    throw new CaProtocolError(`${what}: malformed answer (HTTP ${answer.status})`, answer.status, { cause: error });
  }
}
