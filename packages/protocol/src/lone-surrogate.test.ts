import { describe, expect, it } from 'vitest';
import { hasLoneSurrogate } from './lone-surrogate.js';

describe('hasLoneSurrogate', () => {
  it.each([
    { name: 'plain ASCII', input: 'Ann', want: false },
    { name: 'a pair (an emoji)', input: 'Ann \u{1F600}', want: false },
    { name: 'a high surrogate alone, at the end', input: 'Ann\ud800', want: true },
    { name: 'a low surrogate alone, at the start', input: '\udc00Ann', want: true },
    { name: 'a pair in the wrong order', input: '\udc00\ud800', want: true },
    { name: 'empty', input: '', want: false },
  ])('$name: $want', ({ input, want }) => {
    expect(hasLoneSurrogate(input)).toBe(want);
  });
});
