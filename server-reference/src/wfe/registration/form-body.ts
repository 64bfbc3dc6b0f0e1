/**
 * Reads an `application/x-www-form-urlencoded` body (an HTML form post) with a byte limit.
 */
import type { Request } from 'express';
import { readBody } from '../read-body.js';

/** Body limit of the CA's HTML forms, in bytes (the registration form with long answers fits easily). */
export const FORM_MAX_BODY_BYTES = 16 * 1024;

/** Result of {@link readForm}. */
export type FormResult =
  | { readonly ok: true; readonly params: URLSearchParams }
  | { readonly ok: false; readonly status: 413 | 415; readonly message: string };

/**
 * Reads and decodes the body of a form post.
 * @param limitBytes - default {@link FORM_MAX_BODY_BYTES}.
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
  try {
    const body = await readBody(req, limitBytes);
    return { ok: true, params: new URLSearchParams(body.toString('utf8')) };
  } catch {
    return { ok: false, status: 413, message: `the form is larger than ${limitBytes} bytes` };
  }
}
