import { describe, expect, it } from 'vitest';
import { guardRequest, type GuardedRequest } from './request-guard.js';

const PORT = 40123;
const base: GuardedRequest = { method: 'GET', target: '/api/config', hosts: [`127.0.0.1:${PORT}`], origins: [], fetchSite: undefined };

describe('guardRequest', () => {
  it.each<{ name: string; input: Partial<GuardedRequest>; want: ReturnType<typeof guardRequest> }>([
    { name: 'a same-origin GET', input: {}, want: { ok: true } },
    { name: 'localhost with the port', input: { hosts: [`localhost:${PORT}`] }, want: { ok: true } },
    { name: 'a navigation the installer opened (Sec-Fetch-Site: none)', input: { fetchSite: 'none' }, want: { ok: true } },
    { name: 'a rebound DNS name', input: { hosts: [`attacker.example:${PORT}`] }, want: { ok: false, reason: 'misdirected', status: 421 } },
    {
      name: 'upper-case LOCALHOST (a browser lower-cases it; anything else is not a browser)',
      input: { hosts: [`LOCALHOST:${PORT}`] },
      want: { ok: false, reason: 'misdirected', status: 421 },
    },
    { name: 'no Host', input: { hosts: [] }, want: { ok: false, reason: 'misdirected', status: 421 } },
    { name: 'two Host headers', input: { hosts: [`127.0.0.1:${PORT}`, `127.0.0.1:${PORT}`] }, want: { ok: false, reason: 'bad-request', status: 400 } },
    { name: 'an absolute-form target', input: { target: `http://127.0.0.1:${PORT}/api/config` }, want: { ok: false, reason: 'bad-request', status: 400 } },
    { name: 'a protocol-relative target', input: { target: '//evil.example/' }, want: { ok: false, reason: 'bad-request', status: 400 } },
    { name: 'a POST from the same origin', input: { method: 'POST', origins: [`http://127.0.0.1:${PORT}`] }, want: { ok: true } },
    {
      name: 'a POST from localhost, when Host is localhost',
      input: { method: 'POST', hosts: [`localhost:${PORT}`], origins: [`http://localhost:${PORT}`] },
      want: { ok: true },
    },
    {
      name: 'a POST whose Origin names the other spelling of the Host',
      input: { method: 'POST', origins: [`http://localhost:${PORT}`] },
      want: { ok: false, reason: 'cross-origin', status: 403 },
    },
    { name: 'a POST without Origin', input: { method: 'POST' }, want: { ok: false, reason: 'cross-origin', status: 403 } },
    {
      name: 'a POST with two Origins',
      input: { method: 'POST', origins: [`http://127.0.0.1:${PORT}`, `http://127.0.0.1:${PORT}`] },
      want: { ok: false, reason: 'cross-origin', status: 403 },
    },
    {
      name: 'a DELETE from elsewhere',
      input: { method: 'DELETE', origins: ['http://evil.example'] },
      want: { ok: false, reason: 'cross-origin', status: 403 },
    },
    { name: 'a GET from another local web page (same-site)', input: { fetchSite: 'same-site' }, want: { ok: false, reason: 'cross-origin', status: 403 } },
    { name: 'a GET from another site', input: { fetchSite: 'cross-site' }, want: { ok: false, reason: 'cross-origin', status: 403 } },
  ])('$name', ({ input, want }) => {
    expect(guardRequest({ ...base, ...input }, PORT)).toEqual(want);
  });
});
