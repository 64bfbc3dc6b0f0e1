/**
 * Reads an `application/x-www-form-urlencoded` body (an HTML form post) with a byte limit, and
 * refuses a body that gives any field twice.
 */
import type { Request } from 'express';
import { readBody } from '../read-body.js';

/** Body limit of the CA's HTML forms, in bytes (the registration form with long answers fits easily). */
export const FORM_MAX_BODY_BYTES = 16 * 1024;

/** Result of {@link readForm}. */
export type FormResult =
  { readonly ok: true; readonly params: URLSearchParams } | { readonly ok: false; readonly status: 400 | 413 | 415; readonly message: string };

/** A field name shown in a refusal as it is; any other is described, not echoed. */
const SHOWN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Reads and decodes the body of a form post.
 *
 * A field given more than once is refused (400), for every form of the CA: `get()` reads the
 * first value and `getAll()` all of them, so with two values one check could pass on one value
 * while the CA stores or mails the other. No form of the CA repeats a field (each input has its
 * own name; only the pressed submit button is sent), so there is no allow-list.
 * @param limitBytes - default {@link FORM_MAX_BODY_BYTES}.
 * @returns the fields, or `{ ok: false, status, message }`: 415 for another media type, 413 over
 *   the limit, 400 for a repeated field (the message names it, and holds no value).
 * @example
 * const form = await readForm(req);
 * if (form.ok) form.params.get('EmailAddress');
 */
export async function readForm(req: Request, limitBytes = FORM_MAX_BODY_BYTES): Promise<FormResult> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    return { ok: false, status: 415, message: 'the form must be sent as application/x-www-form-urlencoded' };
  }
  let params: URLSearchParams;
  try {
    params = new URLSearchParams((await readBody(req, limitBytes)).toString('utf8'));
  } catch {
    return { ok: false, status: 413, message: `the form is larger than ${limitBytes} bytes` };
  }
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (seen.has(name)) {
      const shown = SHOWN_NAME.test(name) ? `the field ${name}` : 'a field';
      return { ok: false, status: 400, message: `${shown} is given more than once; send each field once` };
    }
    seen.add(name);
  }
  return { ok: true, params };
}
