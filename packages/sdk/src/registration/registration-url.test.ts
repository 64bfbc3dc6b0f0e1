import { describe, expect, it } from 'vitest';
import { buildRegistrationUrl, type BuildRegistrationUrlOptions } from '../index.js';

const CA = 'https://ca.example';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'; // RFC 7636 Appendix B
const TICKET = 'q3k0Vb0o1Lx4mD3yq8W2c7pNnS9a0ZfRtUvXyKjHgEw';

describe('buildRegistrationUrl', () => {
  const cases: Array<{ name: string; input: BuildRegistrationUrlOptions; want: string }> = [
    { name: 'no options: the bare page', input: {}, want: `${CA}/index.php?id=1` },
    {
      name: 'only sure fields are sent',
      input: {
        prefill: { firstName: { value: 'Ada', sure: true }, lastName: { value: 'Guess', sure: false }, emailAddress: { value: 'ada@example.org', sure: true } },
      },
      want: `${CA}/index.php?id=1&FirstName=Ada&EmailAddress=ada%40example.org`,
    },
    { name: 'nothing sure: nothing prefilled', input: { prefill: { firstName: { value: 'Ada', sure: false } } }, want: `${CA}/index.php?id=1` },
    { name: 'an empty sure value is left for the user to type', input: { prefill: { middleName: { value: '', sure: true } } }, want: `${CA}/index.php?id=1` },
    {
      name: '+ & # and é are percent-encoded, space is +',
      input: { prefill: { lastName: { value: 'Smith & Sons #1 é', sure: true }, emailAddress: { value: 'a+b@example.org', sure: true } } },
      want: `${CA}/index.php?id=1&LastName=Smith+%26+Sons+%231+%C3%A9&EmailAddress=a%2Bb%40example.org`,
    },
    {
      name: 'callbacks, ticket and challenge in the documented order',
      input: { continueUrl: 'http://127.0.0.1:53111/done?state=x', errorUrl: 'http://127.0.0.1:53111/failed', ticket: TICKET, codeChallenge: CHALLENGE },
      want:
        `${CA}/index.php?id=1&continue=http%3A%2F%2F127.0.0.1%3A53111%2Fdone%3Fstate%3Dx&error=http%3A%2F%2F127.0.0.1%3A53111%2Ffailed` +
        `&ticket=${TICKET}&code_challenge=${CHALLENGE}&code_challenge_method=S256`,
    },
  ];
  for (const { name, input, want } of cases) {
    it(name, () => {
      const url = buildRegistrationUrl(CA, input);
      expect(url).toBe(want);
      // Round trip: what the CA reads is what the vendor meant.
      const params = new URL(url).searchParams;
      for (const [key, entry] of Object.entries(input.prefill ?? {})) {
        const wire = key[0]?.toUpperCase() + key.slice(1);
        if (entry.sure && entry.value !== '') expect(params.get(wire)).toBe(entry.value);
        else expect(params.has(wire)).toBe(false);
      }
    });
  }

  const refused: Array<{ name: string; input: unknown }> = [
    { name: 'password', input: { prefill: { password: { value: 'hunter2', sure: true } } } },
    { name: 'Passphrase (any case)', input: { prefill: { Passphrase: { value: 'x', sure: true } } } },
    { name: 'pin', input: { prefill: { pin: { value: '1234', sure: false } } } },
    { name: 'a secret-like top-level option', input: { password: 'hunter2' } },
    { name: 'an unknown field', input: { prefill: { nickname: { value: 'x', sure: true } } } },
    { name: 'a wire name instead of the SDK name', input: { prefill: { FirstName: { value: 'Ada', sure: true } } } },
    { name: 'a plain string instead of { value, sure }', input: { prefill: { firstName: 'Ada' } } },
    { name: 'sure that is not a boolean', input: { prefill: { firstName: { value: 'Ada', sure: 'yes' } } } },
    { name: 'a malformed ticket', input: { ticket: 'short' } },
  ];
  for (const { name, input } of refused) {
    it(`refuses ${name} with a TypeError`, () => {
      expect(() => buildRegistrationUrl(CA, input as BuildRegistrationUrlOptions)).toThrow(TypeError);
    });
  }

  it('never puts the refused value in the message', () => {
    expect(() => buildRegistrationUrl(CA, { prefill: { password: { value: 'hunter2', sure: true } } } as unknown as BuildRegistrationUrlOptions)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') as unknown }),
    );
  });
});
