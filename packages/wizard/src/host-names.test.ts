import { describe, expect, it } from 'vitest';
import { checkHostName, checkHostNames, HOST_NAMES_MAX } from './host-names.js';

describe('checkHostName', () => {
  it.each([
    { name: 'a mail host', input: 'mail.examplemail.test', want: { name: 'mail.examplemail.test', domain: 'examplemail.test' } },
    { name: 'case, spaces and the root dot', input: ' Mail.ExampleMail.TEST. ', want: { name: 'mail.examplemail.test', domain: 'examplemail.test' } },
    { name: 'a name under a two-label public suffix', input: 'www.example.co.uk', want: { name: 'www.example.co.uk', domain: 'example.co.uk' } },
    { name: 'the domain itself', input: 'example.org', want: { name: 'example.org', domain: 'example.org' } },
    {
      name: 'an IDN in U-labels',
      input: 'mail.bücher.example',
      want: { name: 'mail.xn--bcher-kva.example', unicode: 'mail.bücher.example', domain: 'xn--bcher-kva.example', domainUnicode: 'bücher.example' },
    },
  ])('accepts $name, with the domain the CA verifies', ({ input, want }) => {
    expect(checkHostName(input)).toMatchObject({ input, ok: true, ...want });
  });

  it.each([
    { input: 'co.uk', reason: 'public_suffix' },
    { input: 'smtp.localhost', reason: 'localhost' },
    { input: '127.0.0.1', reason: 'ip_address' },
    { input: '*.example.org', reason: 'wildcard' },
    { input: 'mail', reason: 'single_label' },
    { input: 'mail_server.example.org', reason: 'bad_character' },
  ])('refuses $input ($reason) with a message for the person', ({ input, reason }) => {
    const checked = checkHostName(input);
    expect(checked).toMatchObject({ ok: false, reason });
    expect(checked.ok ? '' : checked.message).toMatch(/\.$/);
  });

  it("with the vendor's domains: the longest covering one, and a name outside them refused", () => {
    const domains = ['example.org', 'mail.example.org'];
    expect(checkHostName('smtp.mail.example.org', domains)).toMatchObject({ ok: true, domain: 'mail.example.org' });
    expect(checkHostName('www.example.org', domains)).toMatchObject({ ok: true, domain: 'example.org' });
    expect(checkHostName('www.badexample.org', domains)).toMatchObject({ ok: false, reason: 'outside_domains' });
  });
});

describe('checkHostNames', () => {
  it('answers the names in ASCII form, blank lines left out', () => {
    expect(checkHostNames(['mail.examplemail.test', ' ', 'SMTP.examplemail.test'])).toMatchObject({
      ok: true,
      names: ['mail.examplemail.test', 'smtp.examplemail.test'],
    });
  });

  it.each([
    { name: 'nothing', input: [], message: 'Enter at least one host name.' },
    { name: 'not a list', input: 'mail.examplemail.test', message: /host names/ },
    { name: 'too many', input: Array.from({ length: HOST_NAMES_MAX + 1 }, (_, i) => `h${i}.example.org`), message: /at most 20/ },
    { name: 'a bad name, named', input: ['mail.examplemail.test', 'co.uk'], message: /^co\.uk: This is a public suffix/ },
    { name: 'a name twice after normalisation', input: ['mail.example.org', 'MAIL.example.org.'], message: 'mail.example.org is listed twice.' },
  ])('refuses $name', ({ input, message }) => {
    const checked = checkHostNames(input);
    expect(checked.ok).toBe(false);
    expect(checked.ok ? '' : checked.message).toMatch(message);
  });
});
