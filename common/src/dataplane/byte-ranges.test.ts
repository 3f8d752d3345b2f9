import { describe, it, expect } from '@jest/globals';
import { missingRanges, planRanges } from './byte-ranges.js';

const MIB = 1 << 20;

describe('missingRanges', () => {
  it.each([
    ['nothing held', 10, [], [{ begin: 0, end: 10 }]],
    ['all held', 10, [{ begin: 0, end: 10 }], []],
    [
      'gaps around and between',
      10,
      [
        { begin: 6, end: 8 },
        { begin: 2, end: 4 },
      ],
      [
        { begin: 0, end: 2 },
        { begin: 4, end: 6 },
        { begin: 8, end: 10 },
      ],
    ],
    [
      'overlapping held ranges',
      10,
      [
        { begin: 0, end: 5 },
        { begin: 3, end: 7 },
      ],
      [{ begin: 7, end: 10 }],
    ],
  ])('%s', (_name, size, held, want) => {
    expect(missingRanges(size, held)).toEqual(want);
  });
});

describe('planRanges', () => {
  it('splits one range into the requested number of aligned pieces covering it exactly', () => {
    const size = 10 * MIB + 123;
    const p = planRanges([{ begin: 0, end: size }], 4, MIB);
    expect(p).toHaveLength(4);
    expect(p[0]?.begin).toBe(0);
    expect(p[3]?.end).toBe(size);
    for (let i = 1; i < p.length; i++) {
      expect(p[i]?.begin).toBe(p[i - 1]?.end);
      expect((p[i]?.begin ?? 1) % MIB).toBe(0);
    }
  });

  it('does not split below two alignment units and keeps existing gaps', () => {
    expect(planRanges([{ begin: 0, end: MIB + 5 }], 4, MIB)).toEqual([{ begin: 0, end: MIB + 5 }]);
    const gaps = [
      { begin: 0, end: 10 },
      { begin: 5 * MIB, end: 9 * MIB },
    ];
    const p = planRanges(gaps, 3, MIB);
    expect(p).toHaveLength(3);
    expect(p.reduce((n, r) => n + r.end - r.begin, 0)).toBe(10 + 4 * MIB);
  });

  it('returns no pieces when nothing is missing', () => {
    expect(planRanges([], 4, MIB)).toEqual([]);
  });
});
