/**
 * Standard normal samples for the DP noise. Two sources:
 * - `secure` (default): uniforms from the OS CSPRNG (crypto.randomFillSync), in batches.
 * - `seeded`: xoshiro128** from a 32-bit seed (splitmix32-expanded). Reproducible, so it is
 *   for tests and benchmarks only: anyone who knows the seed can subtract the noise, and the
 *   privacy guarantee is void. Its state goes into the checkpoint so a resumed job draws the
 *   same noise as an uninterrupted one.
 * Normals by Box–Muller from 53-bit uniforms. Floating-point noise has known side channels
 * (Mironov 2012, "On significance of the least significant bits for differential privacy");
 * this implementation does not defend against them.
 */
import { randomFillSync } from 'node:crypto';

export interface NormalSource {
  readonly kind: 'secure' | 'seeded';
  next(): number;
  /** Seeded: the generator state (4 uint32); secure: nothing to keep. */
  state(): readonly number[] | undefined;
}

export function secureNormals(): NormalSource {
  const buf = new Uint32Array(1024);
  let pos = buf.length;
  const u32 = (): number => {
    if (pos === buf.length) {
      randomFillSync(buf);
      pos = 0;
    }
    return buf[pos++] as number;
  };
  return { kind: 'secure', next: () => boxMuller(u32), state: () => undefined };
}

export function seededNormals(seed: number, restored?: readonly number[]): NormalSource {
  const s = new Uint32Array(4);
  if (restored) {
    if (restored.length !== 4 || restored.every((x) => x === 0)) throw new Error('bad seeded RNG state');
    s.set(restored);
  } else {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (s.every((v) => v === 0)) s[0] = 1;
  }
  const u32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1] as number, 5), 7), 9) >>> 0;
    const t = (s[1] as number) << 9;
    s[2] = (s[2] as number) ^ (s[0] as number);
    s[3] = (s[3] as number) ^ (s[1] as number);
    s[1] = (s[1] as number) ^ (s[2] as number);
    s[0] = (s[0] as number) ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = rotl(s[3] as number, 11);
    return result;
  };
  return { kind: 'seeded', next: () => boxMuller(u32), state: () => [...s] };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Uniform in (0, 1] from 53 random bits. */
function uniform(u32: () => number): number {
  const hi = u32() >>> 5; // 27 bits
  const lo = u32() >>> 6; // 26 bits
  return (hi * 67108864 + lo + 1) / 9007199254740992;
}

function boxMuller(u32: () => number): number {
  const u = uniform(u32);
  const v = uniform(u32);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
