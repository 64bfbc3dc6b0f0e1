import { describe, expect, it } from 'vitest';
import { isPublicMailDomain } from './public-mail-domain.js';

describe('isPublicMailDomain', () => {
  it.each([
    { name: 'a public domain', input: 'ada@example.net', want: true },
    { name: 'localhost as the local part', input: 'localhost@example.net', want: true },
    { name: 'localhost as the leftmost label of a public name', input: 'a@localhost.example.net', want: true },
    { name: 'a label ending in localhost', input: 'a@notlocalhost.example', want: true },
    { name: 'localhost', input: 'root@localhost', want: false },
    { name: 'localhost with a trailing dot', input: 'root@localhost.', want: false },
    { name: 'a name below localhost', input: 'a@mail.localhost', want: false },
    { name: 'a single label', input: 'a@intranet', want: false },
    { name: 'an IPv4 address literal', input: 'a@[127.0.0.1]', want: false },
    { name: 'an IPv6 address literal', input: 'a@[IPv6:::1]', want: false },
    { name: 'a bare IPv4 address', input: 'a@10.0.0.1', want: false },
  ])('$name: $want', ({ input, want }) => {
    expect(isPublicMailDomain(input)).toBe(want);
  });
});
