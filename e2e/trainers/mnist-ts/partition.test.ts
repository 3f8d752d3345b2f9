import { describe, expect, it } from '@jest/globals';
import { parseLocation, selectSamples, trainCount } from './partition.js';

const COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
const histogram = (s: [number, number][]): number[] => {
  const h = new Array<number>(10).fill(0);
  for (const [d] of s) h[d] = (h[d] as number) + 1;
  return h;
};

describe('MNIST partition by data location', () => {
  it('gives the demo clusters overlapping, skewed major digits', () => {
    expect(parseLocation('/data/private/cluster1').major).toEqual([0, 1, 2, 3]);
    expect(parseLocation('/data/private/cluster2').major).toEqual([3, 4, 5, 6]);
    expect(parseLocation('/data/private/cluster3').major).toEqual([6, 7, 8, 9]);
    const h = histogram(selectSamples(parseLocation('/data/private/cluster2'), COUNTS));
    for (const d of [3, 4, 5, 6]) expect(h[d]).toBeGreaterThan(400);
    for (const d of [0, 1, 2, 7, 8, 9]) expect(h[d]).toBeLessThan(110);
  });

  it('never selects a held-out sample, and is deterministic', () => {
    for (const loc of ['/data/private/cluster1', 's3://bucket/site-a', 'mnist:digits=0-9;major=1']) {
      const s = selectSamples(parseLocation(loc), COUNTS);
      for (const [d, i] of s) expect(i).toBeLessThan(trainCount(COUNTS[d] as number));
      expect(selectSamples(parseLocation(loc), COUNTS)).toEqual(s);
    }
    const all = selectSamples(parseLocation('mnist:digits=0-9;major=1'), COUNTS);
    expect(all).toHaveLength(COUNTS.reduce((a, c) => a + trainCount(c), 0));
  });

  it('caps at a limit keeping the digit mix, and parses explicit specs', () => {
    const spec = parseLocation('/data/private/cluster1');
    const full = selectSamples(spec, COUNTS);
    const capped = selectSamples(spec, COUNTS, 500);
    expect(capped).toEqual(full.slice(0, 500));
    expect(histogram(capped)[0]).toBeGreaterThan(80);
    expect(parseLocation('mnist:digits=0-2,7;major=0.5;minor=0')).toMatchObject({
      major: [0, 1, 2, 7],
      majorShare: 0.5,
      minorShare: 0,
    });
    expect(() => parseLocation('mnist:digits=a-b')).toThrow(/bad digits/);
    expect(() => parseLocation('mnist:major=2')).toThrow(/\[0, 1\]/);
    expect(selectSamples(parseLocation('mnist:digits=0;major=0;minor=0'), COUNTS)).toEqual([]);
  });
});
