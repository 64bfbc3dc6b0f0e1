/**
 * The page's calls to the wizard server (same origin; the session cookie goes along by itself).
 */
import type { ApiErrorBody, RenewalWizardConfig, WizardConfig } from '@certwizard/wizard';

/** A refused call: the server's code and, for bad input, a message per field. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: Readonly<Record<string, string>>;

  constructor(status: number, body: Partial<ApiErrorBody> | undefined) {
    super(body?.error?.message ?? `the installer answered ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.error?.code ?? 'unknown';
    this.fields = body?.error?.fields ?? {};
  }
}

/** `GET /api/config`: an enrollment wizard's, or a renewal wizard's (`action: 'renew'`). */
export async function fetchConfig(): Promise<WizardConfig | RenewalWizardConfig> {
  const res = await fetch('/api/config', { headers: { accept: 'application/json' } });
  if (!res.ok) throw new ApiError(res.status, await errorBody(res));
  return (await res.json()) as WizardConfig | RenewalWizardConfig;
}

/**
 * POSTs `body` as JSON.
 * @throws {ApiError} when the server refuses; a network failure rejects as `fetch` does.
 */
export async function post(path: string, body: unknown = {}): Promise<Response> {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new ApiError(res.status, await errorBody(res));
  return res;
}

async function errorBody(res: Response): Promise<Partial<ApiErrorBody> | undefined> {
  try {
    return (await res.json()) as Partial<ApiErrorBody>;
  } catch {
    return undefined;
  }
}

/**
 * POSTs `body` as JSON with `keepalive`, so that it still goes out while the page unloads; nobody
 * waits for the answer.
 */
export function postAsPageCloses(path: string, body: unknown): void {
  void fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), keepalive: true }).catch(() => undefined);
}
