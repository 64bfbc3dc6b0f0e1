import { describe, expect, it } from 'vitest';
import { checkDetails } from './details.js';

describe('checkDetails', () => {
  it.each<{ name: string; input: unknown; want: ReturnType<typeof checkDetails> }>([
    {
      name: 'trims names, keeps the local part, lower-cases the domain',
      input: { firstName: '  Ada ', lastName: 'Lovelace', email: ' Ada.King@Example.ORG ' },
      want: { ok: true, details: { firstName: 'Ada', lastName: 'Lovelace', email: 'Ada.King@example.org' } },
    },
    {
      name: 'names of 64 characters (not bytes)',
      input: { firstName: 'é'.repeat(64), lastName: 'L', email: 'a@b.example' },
      want: { ok: true, details: { firstName: 'é'.repeat(64), lastName: 'L', email: 'a@b.example' } },
    },
    {
      name: 'a name of 65 characters',
      input: { firstName: 'A'.repeat(65), lastName: 'L', email: 'a@b.example' },
      want: { ok: false, fields: { firstName: 'Your first name can have at most 64 characters.' } },
    },
    {
      name: 'a newline in a name',
      input: { firstName: 'A', lastName: 'L\nX', email: 'a@b.example' },
      want: { ok: false, fields: { lastName: 'Your last name cannot hold control characters.' } },
    },
    {
      name: 'non-string fields',
      input: { firstName: 1, lastName: null, email: ['a@b.example'] },
      want: { ok: false, fields: { firstName: 'Enter your first name.', lastName: 'Enter your last name.', email: 'Enter your email address.' } },
    },
    {
      name: 'not an object',
      input: 'Ada',
      want: { ok: false, fields: { firstName: 'Enter your first name.', lastName: 'Enter your last name.', email: 'Enter your email address.' } },
    },
    {
      name: 'an address a certificate cannot hold (non-ASCII)',
      input: { firstName: 'A', lastName: 'L', email: 'adä@example.org' },
      want: { ok: false, fields: { email: 'Enter an email address like name@example.org (no spaces, no accented letters).' } },
    },
    {
      name: 'two @',
      input: { firstName: 'A', lastName: 'L', email: 'a@b@example.org' },
      want: { ok: false, fields: { email: 'Enter an email address like name@example.org (no spaces, no accented letters).' } },
    },
  ])('$name', ({ input, want }) => {
    expect(checkDetails(input)).toEqual(want);
  });
});
