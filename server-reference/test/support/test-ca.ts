/**
 * Test fixture: the shared test CA (`@certwizard/server-reference/testing`: a real reference CA
 * on 127.0.0.1 port 0 with a fresh identity, SQLite in a temporary directory and the management
 * server), and request helpers of this suite. Every test that starts one disposes of it.
 */
export { startTestCa, type TestCa } from '@certwizard/server-reference/testing';

/** Sends a request body to `PUT /api/csr/:client`. */
export async function putCsr(
  ca: { url: string },
  body: string | Uint8Array,
  options: { client?: string; contentType?: string | null } = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = {};
  const contentType = options.contentType === undefined ? 'application/x-pem-file' : options.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  const res = await fetch(`${ca.url}/api/csr/${options.client ?? 'testclient'}`, {
    method: 'PUT',
    headers,
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { unparsed: text };
  }
  return { status: res.status, json, headers: res.headers };
}
