import { describe, expect, it } from 'vitest';
import {
  CACERT_API_ERRORS,
  decodeCcsrAnswer,
  decodeCcsrRequest,
  decodeCemailsAnswer,
  decodeRequestList,
  decodeRequestStatus,
  encodeCacertApiError,
  encodeCcsrAnswer,
  encodeCcsrRequest,
  encodeCemailsAnswer,
  encodeRequestStatus,
  requestListPath,
  requestStatusPath,
  type CemailsAnswer,
  type RequestStatusAnswer,
} from './cacert-api.js';
import { CaRejectedError } from './errors.js';
import { codeOf } from './test-support/code-of.js';

const MALFORMED = 'ERR_PROTOCOL_MALFORMED_RESPONSE';
const REJECTED = 'ERR_PROTOCOL_CA_REJECTED';
const ID = 'q3k0c4mN1vYb7s2L9xW8aQ';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n';

describe('cemails answer', () => {
  it.each<{ name: string; answer: CemailsAnswer; text: string }>([
    {
      name: "CAcert's own example",
      answer: { codeSigning: false, names: ['John Doe'], emails: ['john@doe.com'] },
      text: '200,Authentication Ok\nCS=0\nNAME=John Doe\nEMAIL=john@doe.com\n',
    },
    {
      name: 'two name forms, two addresses, code signing',
      answer: { codeSigning: true, names: ['Ada Lovelace', 'Ada B Lovelace'], emails: ['ada@example.org', 'a.l@example.net'] },
      text: '200,Authentication Ok\nCS=1\nNAME=Ada Lovelace\nNAME=Ada B Lovelace\nEMAIL=ada@example.org\nEMAIL=a.l@example.net\n',
    },
    {
      name: 'a Unicode name and an = in a value (values are written as they are)',
      answer: { codeSigning: false, names: ['Zoë Ünal'], emails: ['x=y@b.example'] },
      text: '200,Authentication Ok\nCS=0\nNAME=Zoë Ünal\nEMAIL=x=y@b.example\n',
    },
  ])('$name encodes to the exact text and back', ({ answer, text }) => {
    expect(encodeCemailsAnswer(answer)).toBe(text);
    expect(decodeCemailsAnswer(200, text)).toEqual(answer);
  });

  it('accepts a missing final newline', () => {
    expect(decodeCemailsAnswer(200, '200,Authentication Ok\nCS=0\nNAME=A B\nEMAIL=a@b.example')).toEqual({
      codeSigning: false,
      names: ['A B'],
      emails: ['a@b.example'],
    });
  });

  it.each([
    { name: 'an empty body', status: 200, text: '' },
    { name: 'an HTML page', status: 200, text: '<html></html>\n' },
    { name: 'CRLF line ends', status: 200, text: '200,Authentication Ok\r\nCS=0\r\nNAME=A B\r\nEMAIL=a@b.example\r\n' },
    { name: 'no CS line', status: 200, text: '200,Authentication Ok\nNAME=A B\nEMAIL=a@b.example\n' },
    { name: 'CS=2', status: 200, text: '200,Authentication Ok\nCS=2\nNAME=A B\nEMAIL=a@b.example\n' },
    { name: 'no NAME', status: 200, text: '200,Authentication Ok\nCS=0\nEMAIL=a@b.example\n' },
    { name: 'no EMAIL', status: 200, text: '200,Authentication Ok\nCS=0\nNAME=A B\n' },
    { name: 'an empty NAME', status: 200, text: '200,Authentication Ok\nCS=0\nNAME=\nEMAIL=a@b.example\n' },
    { name: 'NAME after EMAIL', status: 200, text: '200,Authentication Ok\nCS=0\nEMAIL=a@b.example\nNAME=A B\n' },
    { name: 'an unknown key', status: 200, text: '200,Authentication Ok\nCS=0\nNAME=A B\nEMAIL=a@b.example\nADMIN=1\n' },
    { name: 'an empty line', status: 200, text: '200,Authentication Ok\nCS=0\n\nNAME=A B\nEMAIL=a@b.example\n' },
    { name: 'a success line with HTTP 500', status: 500, text: '200,Authentication Ok\nCS=0\nNAME=A B\nEMAIL=a@b.example\n' },
    { name: 'an undocumented failure code', status: 401, text: '401,nope Authentication failed\n' },
    { name: 'a failure line whose status differs from HTTP', status: 200, text: '401,authentication_failed Authentication failed\n' },
    { name: 'a failure line with the wrong status for its code', status: 403, text: '403,authentication_failed Authentication failed\n' },
    { name: 'a failure line followed by more lines', status: 401, text: '401,authentication_failed Authentication failed\nCS=0\n' },
    { name: 'a failure line without a code', status: 401, text: '401,Authentication failed\n' },
  ])('refuses $name with ERR_PROTOCOL_MALFORMED_RESPONSE', ({ status, text }) => {
    expect(codeOf(() => decodeCemailsAnswer(status, text))).toBe(MALFORMED);
  });

  it.each([
    { code: 'authentication_failed', status: 401 },
    { code: 'account_inactive', status: 403 },
    { code: 'too_many_requests', status: 429 },
  ] as const)('turns the documented $code line into CaRejectedError', ({ code, status }) => {
    const { status: httpStatus, body } = encodeCacertApiError(code, 'Some text');
    expect(httpStatus).toBe(status);
    expect(body).toBe(`${status},${code} Some text\n`);
    try {
      decodeCemailsAnswer(httpStatus, body);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CaRejectedError);
      expect(err).toMatchObject({ code: REJECTED, caCode: code, status });
    }
  });

  it.each<{ name: string; answer: CemailsAnswer }>([
    { name: 'no names', answer: { codeSigning: false, names: [], emails: ['a@b.example'] } },
    { name: 'no addresses', answer: { codeSigning: false, names: ['A B'], emails: [] } },
    { name: 'a name with a newline (would forge a line)', answer: { codeSigning: false, names: ['A\nEMAIL=evil@x.example'], emails: ['a@b.example'] } },
  ])('the encoder throws TypeError for $name', ({ answer }) => {
    expect(() => encodeCemailsAnswer(answer)).toThrow(TypeError);
  });
});

describe('failure lines', () => {
  it('gives every documented code its own HTTP status on the line', () => {
    for (const [code, status] of Object.entries(CACERT_API_ERRORS)) {
      expect(encodeCacertApiError(code as keyof typeof CACERT_API_ERRORS, 'x')).toEqual({ status, body: `${status},${code} x\n` });
    }
  });

  it.each([
    { name: 'an unknown code', run: () => encodeCacertApiError('nope' as never, 'x') },
    { name: 'an empty message', run: () => encodeCacertApiError('refused', ' ') },
    { name: 'a message with a line break', run: () => encodeCacertApiError('refused', 'a\nb') },
  ])('throw TypeError for $name', ({ run }) => {
    expect(run).toThrow(TypeError);
  });

  it.each([
    { name: 'a message with U+2028 (regression: decoded as malformed, `.` does not match it)', message: 'a\u2028b' },
    { name: 'a message with U+2029', message: 'a\u2029b' },
  ])('decode back to their code: $name', ({ message }) => {
    const { status, body } = encodeCacertApiError('refused', message);
    expect(codeOf(() => decodeCemailsAnswer(status, body))).toBe(REJECTED);
    expect(codeOf(() => decodeCcsrAnswer(status, body))).toBe(REJECTED);
  });

  it('refuses a failure line ending in a carriage return', () => {
    expect(codeOf(() => decodeCcsrAnswer(403, '403,refused no\r\n'))).toBe(MALFORMED);
  });
});

describe('ccsr request fields', () => {
  it('round-trips through the form body', () => {
    const request = {
      email: 'a+b@example.org',
      name: 'Ada Lovelace',
      codeSigning: true,
      csrPem: '-----BEGIN CERTIFICATE REQUEST-----\nMII=\n-----END CERTIFICATE REQUEST-----\n',
    };
    const body = encodeCcsrRequest(request).toString();
    expect(body).toContain('codesign=1');
    expect(body).toContain('optionalCSR=');
    expect(decodeCcsrRequest(new URLSearchParams(body))).toEqual({ ok: true, request });
  });

  it.each([
    { name: 'no email', query: 'name=A&optionalCSR=x', want: 'invalid_request' },
    { name: 'a blank name', query: 'email=a%40b.example&name=+&optionalCSR=x', want: 'invalid_request' },
    { name: 'codesign=yes', query: 'email=a%40b.example&name=A&codesign=yes&optionalCSR=x', want: 'invalid_request' },
    { name: 'a repeated email', query: 'email=a%40b.example&email=c%40d.example&name=A&optionalCSR=x', want: 'invalid_request' },
    { name: 'no optionalCSR', query: 'email=a%40b.example&name=A', want: 'csr_required' },
    { name: 'an empty optionalCSR', query: 'email=a%40b.example&name=A&optionalCSR=', want: 'csr_required' },
  ])('refuses $name with $want', ({ query, want }) => {
    const result = decodeCcsrRequest(new URLSearchParams(query));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.code).toBe(want);
  });

  it('defaults codesign to 0', () => {
    const result = decodeCcsrRequest(new URLSearchParams('email=a%40b.example&name=A&optionalCSR=x'));
    expect(result.ok && result.request.codeSigning).toBe(false);
  });
});

describe('ccsr answer', () => {
  it.each([
    { name: 'issued', answer: { status: 'issued', requestId: ID, chainPem: CERT + CERT } as const, status: 200, body: `200,Issued ${ID}\n${CERT}${CERT}` },
    { name: 'pending', answer: { status: 'pending', requestId: ID } as const, status: 202, body: `202,Pending ${ID}\n` },
  ])('$name encodes to the documented text and back', ({ answer, status, body }) => {
    expect(encodeCcsrAnswer(answer)).toEqual({ status, body });
    expect(decodeCcsrAnswer(status, body)).toEqual(answer);
  });

  it.each([
    { name: 'issued with HTTP 202', status: 202, body: `200,Issued ${ID}\n${CERT}` },
    { name: 'issued without a chain', status: 200, body: `200,Issued ${ID}\n` },
    { name: 'issued with garbage after the chain', status: 200, body: `200,Issued ${ID}\n${CERT}<html>` },
    { name: 'pending with a body', status: 202, body: `202,Pending ${ID}\n${CERT}` },
    { name: 'a short request id', status: 202, body: '202,Pending abc\n' },
    { name: 'a JSON body', status: 200, body: '{"signed_x509_pem":"..."}' },
    { name: 'an undocumented failure', status: 403, body: '403,because no\n' },
  ])('refuses $name with ERR_PROTOCOL_MALFORMED_RESPONSE', ({ status, body }) => {
    expect(codeOf(() => decodeCcsrAnswer(status, body))).toBe(MALFORMED);
  });

  it('turns a documented refusal into CaRejectedError with its code', () => {
    const { status, body } = encodeCacertApiError('address_not_confirmed', 'the address is not confirmed for this account');
    expect(body).toBe('403,address_not_confirmed the address is not confirmed for this account\n');
    expect(() => decodeCcsrAnswer(status, body)).toThrow(expect.objectContaining({ code: REJECTED, caCode: 'address_not_confirmed', status: 403 }));
  });

  it('the encoder refuses a malformed id or chain', () => {
    expect(() => encodeCcsrAnswer({ status: 'pending', requestId: 'x' })).toThrow(TypeError);
    expect(() => encodeCcsrAnswer({ status: 'issued', requestId: ID, chainPem: 'not pem' })).toThrow(TypeError);
  });
});

describe('request status answer', () => {
  it.each<{ name: string; answer: RequestStatusAnswer }>([
    { name: 'pending', answer: { status: 'pending', id: ID } },
    { name: 'issued', answer: { status: 'issued', id: ID, certificate: CERT, chain: CERT } },
    { name: 'rejected', answer: { status: 'rejected', id: ID, reason: 'not one of our customers' } },
    { name: 'discarded', answer: { status: 'discarded', id: ID } },
  ])('$name round-trips through JSON', ({ answer }) => {
    const decoded = decodeRequestStatus(200, JSON.parse(JSON.stringify(encodeRequestStatus(answer))), '7');
    expect(decoded.answer).toEqual(answer);
    expect(decoded.retryAfterSeconds).toBe(answer.status === 'pending' ? 7 : undefined);
  });

  it('uses the default wait when Retry-After is missing or malformed', () => {
    expect(decodeRequestStatus(200, { status: 'pending', id: ID }, null).retryAfterSeconds).toBe(30);
    expect(decodeRequestStatus(200, { status: 'pending', id: ID }, 'Wed, 21 Oct 2015').retryAfterSeconds).toBe(30);
  });

  it.each([
    { name: 'null', json: null },
    { name: 'an unknown status', json: { status: 'approved', id: ID } },
    { name: 'a malformed id', json: { status: 'pending', id: 'x' } },
    { name: 'an extra member', json: { status: 'pending', id: ID, certificate: CERT } },
    { name: 'issued without chain', json: { status: 'issued', id: ID, certificate: CERT } },
    { name: 'rejected without reason', json: { status: 'rejected', id: ID } },
  ])('refuses $name', ({ json }) => {
    expect(codeOf(() => decodeRequestStatus(200, json))).toBe(MALFORMED);
    expect(() => encodeRequestStatus(json as never)).toThrow(TypeError);
  });

  it('turns documented error bodies into CaRejectedError and others into MalformedResponseError', () => {
    expect(codeOf(() => decodeRequestStatus(404, { error: { code: 'not_found', message: 'no such request' } }))).toBe(REJECTED);
    expect(codeOf(() => decodeRequestStatus(502, '<html>'))).toBe(MALFORMED);
  });

  it.each([
    { name: 'toString (regression: `in` found it on Object.prototype)', code: 'toString' },
    { name: 'constructor', code: 'constructor' },
    { name: '__proto__', code: '__proto__' },
  ])('refuses the undocumented error code $name as malformed, status and list alike', ({ code }) => {
    const json = { error: { code, message: 'x' } };
    expect(codeOf(() => decodeRequestStatus(500, json))).toBe(MALFORMED);
    expect(codeOf(() => decodeRequestList(500, json))).toBe(MALFORMED);
  });

  it('builds the path of a request and refuses a malformed id', () => {
    expect(requestStatusPath(ID)).toBe(`/api/requests/${ID}`);
    expect(() => requestStatusPath('../x')).toThrow(TypeError);
  });
});

describe('request list', () => {
  const FP = 'ab'.repeat(32);
  const entry = { id: 'q3k0c4mN1vYb7s2L9xW8aQ', status: 'pending', source: 'installation', fingerprint: FP, createdAt: '2026-01-01T00:00:00.000Z' };

  it('builds the path with its filters, fingerprint lower-cased', () => {
    expect(requestListPath()).toBe('/api/requests');
    expect(requestListPath({ source: 'registration' })).toBe('/api/requests?source=registration');
    expect(requestListPath({ source: 'ccsr', fingerprint: FP.toUpperCase() })).toBe(`/api/requests?source=ccsr&fingerprint=${FP}`);
    expect(() => requestListPath({ fingerprint: 'abc' })).toThrow(TypeError);
    expect(() => requestListPath({ source: 'acme' as never })).toThrow(TypeError);
  });

  it('decodes entries, ignoring keys it does not know', () => {
    expect(decodeRequestList(200, { requests: [] })).toEqual([]);
    expect(decodeRequestList(200, { requests: [{ ...entry, later: 1 }] })).toEqual([entry]);
  });

  it.each([
    { name: 'no array', status: 200, json: { requests: {} } },
    { name: 'an unknown status', status: 200, json: { requests: [{ ...entry, status: 'approved' }] } },
    { name: 'a short fingerprint', status: 200, json: { requests: [{ ...entry, fingerprint: 'ab' }] } },
    { name: 'a bad date', status: 200, json: { requests: [{ ...entry, createdAt: 'yesterday' }] } },
    { name: 'a bad id', status: 200, json: { requests: [{ ...entry, id: '../x' }] } },
    { name: 'an undocumented error', status: 500, json: { oops: true } },
  ])('refuses $name as malformed', ({ status, json }) => {
    expect(codeOf(() => decodeRequestList(status, json))).toBe('ERR_PROTOCOL_MALFORMED_RESPONSE');
  });

  it('turns a documented error into CaRejectedError', () => {
    expect(() => decodeRequestList(401, { error: { code: 'unauthorized', message: 'no token' } })).toThrow(CaRejectedError);
  });
});
