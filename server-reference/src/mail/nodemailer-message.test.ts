import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DkimSigningKey } from './mailer.js';
import { nodemailerMessage } from './nodemailer-message.js';

const DKIM: DkimSigningKey = { domainName: 'ca.example', keySelector: 's1', privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey };
const BASE = { to: 'ada@example.org', subject: 'Hi', text: 'Hello' };

describe('nodemailerMessage', () => {
  it('takes the envelope sender from From: (display name or not)', () => {
    expect(nodemailerMessage(BASE, { from: 'certwizard CA <ca@localhost>' })).toEqual({
      from: 'certwizard CA <ca@localhost>',
      to: 'ada@example.org',
      envelope: { from: 'ca@localhost', to: ['ada@example.org'] },
      subject: 'Hi',
      text: 'Hello',
    });
    expect(nodemailerMessage({ ...BASE, from: 'ping@ca.example' }, { from: 'CA <ca@localhost>' }).envelope).toEqual({
      from: 'ping@ca.example',
      to: ['ada@example.org'],
    });
  });

  it('signs only what asks for it, covering the extra headers too', () => {
    const headers = { 'X-Certwizard-Ping-Nonce': 'n0nce-Of_The-Mail-Server-43-characters-long' };
    expect(nodemailerMessage({ ...BASE, headers }, { from: 'ca@localhost', dkim: DKIM }).dkim).toBeUndefined();
    const signed = nodemailerMessage({ ...BASE, headers, sign: true }, { from: 'ca@localhost', dkim: DKIM });
    expect(signed.headers).toEqual(headers);
    expect(signed.dkim).toMatchObject({ domainName: 'ca.example', keySelector: 's1', privateKey: DKIM.privateKey });
    expect(String((signed.dkim as { headerFieldNames: string }).headerFieldNames).split(':')).toEqual(
      expect.arrayContaining(['From', 'To', 'Subject', 'X-Certwizard-Ping-Nonce']),
    );
    // Without a key, asking changes nothing.
    expect(nodemailerMessage({ ...BASE, sign: true }, { from: 'ca@localhost' }).dkim).toBeUndefined();
  });

  it.each<{ name: string; message: Parameters<typeof nodemailerMessage>[0] }>([
    { name: 'a header value with a line break', message: { ...BASE, headers: { 'X-A': 'one\r\nBcc: x@evil.example' } } },
    { name: 'a sender without an address', message: { ...BASE, from: 'just a name' } },
  ])('refuses $name', ({ message }) => {
    expect(() => nodemailerMessage(message, { from: 'ca@localhost' })).toThrow(TypeError);
  });
});
