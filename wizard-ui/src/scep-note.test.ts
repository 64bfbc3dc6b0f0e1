import { describe, expect, it } from 'vitest';
import { colonFingerprint } from './steps/key.js';

describe('the key step for a SCEP CA', () => {
  it('shows the pinned SHA-256 as openssl prints it', () => {
    expect(colonFingerprint('ab'.repeat(31) + '0f')).toBe(`${'AB:'.repeat(31)}0F`);
  });
});
