import { describe, expect, it } from 'vitest';
import { addressPingMail, registrationPingMail } from './ping-mail.js';

const TOKEN = 'q3k0Vb0o1Lx4mD3yq8W2c7pNnS9a0ZfRtUvXyKjHgEw';
const NONCE = 'n0nce-Of_The-Mail-Server-43-characters-long';
const BASE = { to: 'ada@example.org', from: 'ping@ca.example', publicUrl: 'https://ca.example', token: TOKEN, lifetimeMs: 24 * 60 * 60_000 };
const LINK = `https://ca.example/ping/confirm?token=${TOKEN}`;

describe('the ping mail', () => {
  it('is exactly this for a registration with a nonce', () => {
    expect(registrationPingMail({ ...BASE, nonce: NONCE })).toEqual({
      to: 'ada@example.org',
      from: 'ping@ca.example',
      subject: 'Confirm your email address',
      text: [
        'Hello,',
        '',
        'please confirm your email address for the certwizard CA by opening this link and pressing Confirm:',
        '',
        LINK,
        '',
        'The link works once, for 24 hours. If you did not register, ignore this mail.',
        '',
        'Your mail server may confirm this address by itself with the line below.',
        `Ping-Nonce: ${NONCE}`,
        '',
      ].join('\n'),
      headers: { 'X-Certwizard-Ping-Nonce': NONCE },
      sign: true,
    });
  });

  it.each<{ name: string; lifetimeMs: number; want: string }>([
    { name: 'one hour', lifetimeMs: 60 * 60_000, want: 'for 1 hour.' },
    { name: 'ninety minutes', lifetimeMs: 90 * 60_000, want: 'for 90 minutes.' },
    { name: 'two days', lifetimeMs: 48 * 60 * 60_000, want: 'for 48 hours.' },
  ])('says the lifetime: $name', ({ lifetimeMs, want }) => {
    expect(addressPingMail({ ...BASE, lifetimeMs }).text).toContain(want);
  });

  it('carries neither the header nor the body line without a nonce, and names the address', () => {
    const mail = addressPingMail(BASE);
    expect(mail.headers).toBeUndefined();
    expect(mail.text).not.toMatch(/ping-nonce/i);
    expect(mail.text).toContain('asks to add ada@example.org to its confirmed addresses');
    expect(mail.text.match(/https?:\/\/\S+/g)).toEqual([LINK]);
    expect(mail.sign).toBe(true);
  });

  it('refuses a public URL the link cannot be built from', () => {
    expect(() => addressPingMail({ ...BASE, publicUrl: 'https://ca.example/' })).toThrow(TypeError);
  });
});
