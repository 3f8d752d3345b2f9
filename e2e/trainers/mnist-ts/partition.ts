/**
 * Deterministic non-IID partition of the MNIST digits by data location. Pure; the Python
 * trainer (../mnist-py/mnist_data.py) implements the same functions bit for bit, so clusters
 * running either trainer see the same data.
 *
 * - The last 20% of every digit's samples are held out: no cluster trains on them; the hub
 *   evaluates the global model on them (evaluate.ts).
 * - A location selects four "major" digits (70% of their training samples each) and keeps 8%
 *   of every other digit. A trailing number k (`/data/private/cluster<k>`) starts the major
 *   window at digit 3(k-1) mod 10, so clusters 1, 2, 3 get 0-3, 3-6, 6-9: overlapping but
 *   skewed. Any other string hashes to a window. `mnist:digits=0-4,7;major=0.6;minor=0.1`
 *   sets the major digits and shares explicitly.
 * - Which samples of a digit a location gets is decided by a hash of (location, digit, index).
 */
export const HELD_OUT_FRACTION = 0.2;
export const DIGITS = 10;

export interface PartitionSpec {
  readonly major: readonly number[];
  readonly majorShare: number;
  readonly minorShare: number;
  /** fnv1a32 of the location string. */
  readonly seed: number;
}

/** First held-out index of a digit with `count` samples. */
export function trainCount(count: number): number {
  return Math.floor(count * (1 - HELD_OUT_FRACTION));
}

export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

/** A 32-bit integer finaliser (lowbias32); cheap and well mixed. */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Uniform [0, 1) for sample `index` of `digit` under `seed`. */
export function sampleHash(seed: number, digit: number, index: number): number {
  return mix32((seed ^ mix32(digit * 65536 + index)) >>> 0) / 4294967296;
}

export function parseLocation(location: string): PartitionSpec {
  const seed = fnv1a32(location);
  const spec = /mnist:(.*)$/.exec(location)?.[1];
  const fields = new Map(
    (spec ?? '')
      .split(/[;&]/)
      .filter((f) => f.includes('='))
      .map((f) => f.split('=', 2).map((s) => s.trim()) as [string, string]),
  );
  const major = fields.has('digits') ? parseDigits(fields.get('digits') as string) : window(location, seed);
  return {
    major,
    majorShare: share(fields.get('major'), 0.7),
    minorShare: share(fields.get('minor'), 0.08),
    seed,
  };
}

function window(location: string, seed: number): number[] {
  const k = /(\d+)\D*$/.exec(location);
  const start = k ? ((((Number(k[1]) - 1) * 3) % DIGITS) + DIGITS) % DIGITS : seed % DIGITS;
  return [0, 1, 2, 3].map((i) => (start + i) % DIGITS);
}

function parseDigits(s: string): number[] {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^(\d)(?:-(\d))?$/.exec(part.trim());
    if (!m) throw new Error(`bad digits ${JSON.stringify(s)}: want e.g. 0-4,7`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let d = Math.min(a, b); d <= Math.max(a, b); d++) out.add(d);
  }
  return [...out].sort((x, y) => x - y);
}

function share(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new Error(`share ${v} must be in [0, 1]`);
  return n;
}

/**
 * Training samples of one location: `[digit, index]` pairs in a deterministic order, at most
 * `limit` of them (the ones with the smallest hash, which keeps the digit mix).
 */
export function selectSamples(
  spec: PartitionSpec,
  counts: readonly number[],
  limit = Infinity,
): [number, number][] {
  const picked: { d: number; i: number; u: number }[] = [];
  for (let d = 0; d < DIGITS; d++) {
    const shareD = spec.major.includes(d) ? spec.majorShare : spec.minorShare;
    const n = trainCount(counts[d] ?? 0);
    for (let i = 0; i < n; i++) {
      const u = sampleHash(spec.seed, d, i);
      if (u < shareD) picked.push({ d, i, u: u / shareD });
    }
  }
  picked.sort((a, b) => a.u - b.u || a.d - b.d || a.i - b.i);
  return picked.slice(0, Math.min(limit, picked.length)).map((p) => [p.d, p.i]);
}
