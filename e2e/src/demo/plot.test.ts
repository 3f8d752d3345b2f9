import { describe, expect, it } from '@jest/globals';
import { progressBar, roundsSvg } from './plot.js';
import type { DemoSummary } from './report.js';

const summary: DemoSummary = {
  phase: 'Completed',
  rounds: 3,
  clusters: ['a', 'b', 'c'],
  accuracy: 0.919,
  perClassAccuracy: [0.99, 0.98, 0.9, 0.88, 0.91, 0.85, 0.95, 0.92, 0.87, null],
  roundSeconds: [4, 3, 3],
  roundMetrics: [1, 2, 3].map((round) => ({
    round,
    participants: ['a', 'b', 'c'],
    metrics: { accuracy: 0.6 + round * 0.1, loss: 1.5 / round },
  })),
  totalSeconds: 20,
};

describe('roundsSvg', () => {
  it('draws accuracy and loss per round and one recall bar per digit, scaled to the data', () => {
    const svg = roundsSvg(summary);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    const acc = /class="accuracy"[^>]*points="([^"]+)"/.exec(svg)?.[1]?.split(' ') ?? [];
    const loss = /class="loss"[^>]*points="([^"]+)"/.exec(svg)?.[1]?.split(' ') ?? [];
    expect(acc).toHaveLength(3);
    expect(loss).toHaveLength(3);
    // Accuracy rises (y shrinks), loss falls (y grows).
    const ys = (pts: string[]): number[] => pts.map((p) => Number(p.split(',')[1]));
    expect(ys(acc)).toEqual([...ys(acc)].sort((a, b) => b - a));
    expect(ys(loss)).toEqual([...ys(loss)].sort((a, b) => a - b));
    const bars = [...svg.matchAll(/class="recall" data-digit="(\d)"[^>]*height="([\d.]+)"/g)];
    expect(bars).toHaveLength(10);
    const height = (d: number): number => Number(bars[d]?.[2]);
    expect(height(0)).toBeGreaterThan(height(5));
    expect(height(9)).toBe(0); // no result for that digit
    expect(svg).toContain('held-out accuracy 0.919');
  });
});

describe('progressBar', () => {
  it('fills with rounds done and estimates the time left from the mean round time', () => {
    expect(progressBar(0, 10, 0)).toBe('[--------------------] 0/10  ETA ?');
    expect(progressBar(4, 10, 40)).toBe('[########------------] 4/10  ETA 60s');
    expect(progressBar(10, 10, 99)).toBe('[####################] 10/10  ETA 0s');
  });
});
