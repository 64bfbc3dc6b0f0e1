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
  readIsItDoneWait,
  REGISTRATION_PARAMS,
  TICKET_TEXT_MEDIA_TYPE,
  ticketState,
  type TicketAnswer,
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

/** How often a held `isitdone` looks at its ticket again, in ms: the delay an installer may notice. */
const HOLD_CHECK_MS = 200;
/**
 * Most `isitdone` requests one CA process holds at once; more are answered at once (the
 * installer then polls on its interval). Each held request is an open connection and a
 * database read every {@link HOLD_CHECK_MS}.
 */
const MAX_HELD = 512;

/**
 * Builds the two ticket handlers.
 * @example
 * const t = ticketEndpoints(ctx); await t.giveMeATicket(req, res);
 */
export function ticketEndpoints(ctx: RegistrationContext): {
  giveMeATicket(req: Request, res: Response, form?: URLSearchParams): Promise<void>;
  isItDone(req: Request, res: Response, params: URLSearchParams): Promise<void>;
} {
  let held = 0;

  /**
   * The answer for `ticket` once it is no longer `pending`, or `pending` after `waitSeconds`
   * (a long poll). Reads the database, so a registration finished by another CA process on the
   * same database ends the wait too. Ends early when the client goes away.
   */
  async function holdWhilePending(ticket: string, first: TicketAnswer, waitSeconds: number, res: Response): Promise<TicketAnswer> {
    if (held >= MAX_HELD) return first;
    held += 1;
    let gone = false;
    const onClose = () => {
      gone = true;
    };
    // The response's close (not the request's, which fires once a GET is read): the client left.
    res.once('close', onClose);
    try {
      const until = Date.now() + waitSeconds * 1000;
      let state = first;
      // Bounded: one look per HOLD_CHECK_MS until the wait (at most 30 s) is over.
      while (state.status === 'pending' && !gone && Date.now() + HOLD_CHECK_MS <= until) {
        await new Promise((resolve) => setTimeout(resolve, HOLD_CHECK_MS));
        state = ticketState(await ctx.tickets.read(ticket), ctx.now());
      }
      return state;
    } finally {
      res.off('close', onClose);
      held -= 1;
    }
  }

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
      const waits = params.getAll(REGISTRATION_PARAMS.wait);
      let waitSeconds: number | undefined;
      try {
        if (waits.length > 1) throw new RangeError('wait must be given once');
        waitSeconds = readIsItDoneWait(waits[0]);
      } catch (error) {
        res.status(400);
        const message = (error as Error).message;
        answer(req, res, `invalid wait: ${message}\n`, { error: { code: 'invalid_request', message } });
        return;
      }
      const tickets = params.getAll(REGISTRATION_PARAMS.ticket);
      const ticket = tickets.length === 1 ? (tickets[0] as string) : undefined;
      const record = ticket === undefined ? undefined : await ctx.tickets.read(ticket);
      let state = ticketState(record, ctx.now());
      // A long poll (docs/protocol.md, isitdone's `wait`): hold a pending answer until the
      // registration ends or the wait is over. Only a ticket that exists is worth waiting for.
      if (waitSeconds !== undefined && ticket !== undefined && state.status === 'pending') state = await holdWhilePending(ticket, state, waitSeconds, res);
      answer(req, res, encodeTicketAnswerText(state), encodeTicketAnswerJson(state));
    },
  };
}
