import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './retry-after.js';

const NOW = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');

describe('retryAfterMs', () => {
  const cases: Array<{ name: string; input: string | null; want: number | undefined }> = [
    { name: 'absent', input: null, want: undefined },
    { name: 'delay-seconds', input: '3', want: 3000 },
    { name: 'zero seconds', input: '0', want: 0 },
    { name: 'surrounding spaces', input: ' 2 ', want: 2000 },
    { name: 'IMF-fixdate in the future', input: 'Wed, 21 Oct 2015 07:28:05 GMT', want: 5000 },
    { name: 'IMF-fixdate in the past is no wait', input: 'Wed, 21 Oct 2015 07:27:00 GMT', want: 0 },
    { name: 'negative seconds are unreadable', input: '-1', want: undefined },
    { name: 'fractions are unreadable', input: '1.5', want: undefined },
    { name: 'garbage', input: 'soon', want: undefined },
    { name: 'four digits are seconds, not a year', input: '2030', want: 2_030_000 },
  ];
  for (const { name, input, want } of cases) {
    it(name, () => expect(retryAfterMs(input, NOW)).toBe(want));
  }
});
