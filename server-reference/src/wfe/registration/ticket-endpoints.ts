/**
 * `GET /index.php?id=givemeaticket` and `GET /index.php?id=isitdone&ticket=T`
 * (docs/protocol.md, "The registration hand-off"): text answers by default, JSON when `Accept` prefers it.
 */
import {
  encodeNewTicketJson,
  encodeNewTicketText,
  encodeTicketAnswerJson,
  encodeTicketAnswerText,
  isValidPingNonce,
  REGISTRATION_PARAMS,
  TICKET_TEXT_MEDIA_TYPE,
  ticketState,
} from '@certwizard/protocol';
import type { Request, Response } from 'express';
import type { RegistrationContext } from './context.js';
import { clientKey, remoteAddress } from './request-checks.js';

/** Whether the client prefers JSON over the text answer (`*\/*` and no Accept get text). */
function wantsJson(req: Request): boolean {
  return req.accepts([TICKET_TEXT_MEDIA_TYPE.split(';')[0] as string, 'application/json']) === 'application/json';
}

function answer(req: Request, res: Response, text: string, json: unknown): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Vary', 'Accept');
  if (wantsJson(req)) {
    res.json(json);
  } else {
    res.setHeader('Content-Type', TICKET_TEXT_MEDIA_TYPE);
    res.send(text);
  }
}

/**
 * Builds the two ticket handlers.
 * @example
 * const t = ticketEndpoints(ctx); await t.giveMeATicket(req, res);
 */
export function ticketEndpoints(ctx: RegistrationContext): {
  giveMeATicket(req: Request, res: Response, form?: URLSearchParams): Promise<void>;
  isItDone(req: Request, res: Response, params: URLSearchParams): Promise<void>;
} {
  return {
    async giveMeATicket(req, res, form) {
      // Each ticket is a row: a per-client bucket keeps one client from filling the table.
      const limit = await ctx.limiters.tickets.take(clientKey(req));
      if (!limit.allowed) {
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil(limit.retryAfterMs / 1000))));
        res.status(429);
        answer(req, res, 'too many tickets requested; retry later\n', {
          error: { code: 'too_many_requests', message: 'too many tickets requested; retry later' },
        });
        return;
      }
      // POST with a PingNonce: the installer's mail-hook nonce, given over this back channel so
      // that it never passes through the browser; the registration's ping will carry it.
      const nonces = form?.getAll(REGISTRATION_PARAMS.pingNonce) ?? [];
      if (nonces.length > 1 || (nonces.length === 1 && !isValidPingNonce(nonces[0]))) {
        res.status(400);
        answer(req, res, 'invalid PingNonce: one value of 22 to 128 base64url characters\n', {
          error: { code: 'invalid_request', message: 'PingNonce must be one value of 22 to 128 base64url characters' },
        });
        return;
      }
      const pingNonce = nonces[0];
      if (pingNonce !== undefined && !(await ctx.pingNonces.claim(pingNonce))) {
        res.status(409);
        answer(req, res, 'this PingNonce was used before; ask the mail hook for a new one\n', {
          error: { code: 'nonce_in_use', message: 'this PingNonce was used before; ask the mail hook for a new one' },
        });
        return;
      }
      const ticket = await ctx.tickets.create({
        lifetimeMs: ctx.ticketLifetimeMs,
        createdFrom: remoteAddress(req),
        ...(pingNonce === undefined ? {} : { pingNonce }),
      });
      // The user code goes with the JSON answer only: the text answer stays the one line that
      // CAcert-era clients read whole as the ticket (docs/protocol.md, "The user code").
      answer(req, res, encodeNewTicketText(ticket), encodeNewTicketJson(ticket, (await ctx.tickets.get(ticket))?.userCode));
    },

    async isItDone(req, res, params) {
      // Polling is cheap but each answer is a database read: the same bucket size as
      // givemeaticket, its own bucket (an installer polls every 2 to 15 s, far below it).
      const limit = await ctx.limiters.polls.take(clientKey(req));
      if (!limit.allowed) {
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil(limit.retryAfterMs / 1000))));
        res.status(429);
        answer(req, res, 'too many requests; retry later\n', { error: { code: 'too_many_requests', message: 'too many requests; retry later' } });
        return;
      }
      const tickets = params.getAll(REGISTRATION_PARAMS.ticket);
      const record = tickets.length === 1 ? await ctx.tickets.read(tickets[0] as string) : undefined;
      const state = ticketState(record, ctx.now());
      answer(req, res, encodeTicketAnswerText(state), encodeTicketAnswerJson(state));
    },
  };
}
