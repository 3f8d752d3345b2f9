/**
 * In-process federated training of the demo's task for the strategy benches: the MNIST non-IID
 * partitions and the TypeScript MLP trainer of e2e/trainers/mnist-ts (its functions, not a
 * copy), updates written as safetensors files and read back through the strategy package's
 * file adapter, each round screened, folded and aggregated through the Strategy interface the
 * aggregator uses. One client may be malicious (attacks below).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseManifest, type Manifest } from '@ocm-fl/common/model/safetensors.js';
import {
  createStrategy,
  openSafetensorsUpdate,
  type ClientUpdate,
  type StrategySpec,
} from '@ocm-fl/hub-manager/aggregator/strategy/index.js';
import { seededNormals } from '@ocm-fl/hub-manager/aggregator/strategy/privacy/gaussian.js';
import { trainingSet, type Examples } from '../../trainers/mnist-ts/dataset.js';
import { evaluate } from '../../trainers/mnist-ts/evaluate.js';
import { initialModel } from '../../trainers/mnist-ts/init-model.js';
import { mlpFromSafetensors, mlpToSafetensors, train, type Mlp } from '../../trainers/mnist-ts/mlp.js';
import { fnv1a32 } from '../../trainers/mnist-ts/partition.js';

export const ATTACKS = ['none', 'signFlip10', 'scale100', 'gaussianNoise', 'hiddenNaN'] as const;
export type Attack = (typeof ATTACKS)[number];

export interface SimOptions {
  readonly locations: readonly string[];
  readonly rounds: number;
  readonly training: { readonly epochs: number; readonly lr: number; readonly batchSize: number };
  /** Examples per client (the smallest-hash subset, keeping the digit mix); undefined = all. */
  readonly maxExamples?: number;
  readonly strategy: StrategySpec;
  /** Applied by the last location's client; 'none' = all honest. */
  readonly attack: Attack;
}

export interface SimResult {
  readonly accuracy: number;
  readonly perRound: readonly number[];
  /** Clients refused by screen, per round. */
  readonly refused: readonly string[][];
  /** Median L2 norm of the honest deltas per round (to choose a norm bound). */
  readonly honestNorms: readonly number[];
}

const FIELDS: Record<string, keyof Omit<Mlp, 'hidden'>> = {
  'fc1.bias': 'b1',
  'fc1.weight': 'w1',
  'fc2.bias': 'b2',
  'fc2.weight': 'w2',
};

function flatten(m: Mlp, manifest: Manifest): Float32Array {
  const parts = manifest.tensors.map((t) => m[FIELDS[t.name] as keyof typeof m] as Float32Array);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function unflatten(flat: Float32Array, hidden: number, manifest: Manifest): Mlp {
  const fields: Partial<Record<'w1' | 'b1' | 'w2' | 'b2', Float32Array>> = {};
  let off = 0;
  for (const t of manifest.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    fields[FIELDS[t.name] as 'w1'] = flat.slice(off, off + n);
    off += n;
  }
  return { hidden, ...(fields as Required<typeof fields>) };
}

/** The malicious client's update from its honestly trained one (u) and the global model (g). */
function attackUpdate(attack: Attack, u: Float32Array, g: Float32Array, round: number): Float32Array {
  const out = new Float32Array(u.length);
  if (attack === 'signFlip10') for (let i = 0; i < u.length; i++) out[i] = g[i]! - 10 * (u[i]! - g[i]!);
  else if (attack === 'scale100') for (let i = 0; i < u.length; i++) out[i] = g[i]! + 100 * (u[i]! - g[i]!);
  else if (attack === 'gaussianNoise') {
    // The global model plus N(0, 1) per weight: ~12× the init scale of fc1, pure noise.
    const r = seededNormals(1000 + round);
    for (let i = 0; i < u.length; i++) out[i] = g[i]! + r.next();
  } else out.set(u);
  return out;
}

/** Bytes of the update file; for hiddenNaN one fc1.weight value is a quiet NaN with a payload. */
function updateBytes(attack: Attack, m: Mlp): Buffer {
  const bytes = mlpToSafetensors(m);
  if (attack !== 'hiddenNaN') return bytes;
  const own = parseManifest(bytes);
  const t = own.tensors.find((x) => x.name === 'fc1.weight')!;
  bytes.writeUInt32LE(0x7fc0_1234, own.dataStart + t.begin + 4 * 12_345);
  return bytes;
}

export async function simulate(o: SimOptions): Promise<SimResult> {
  const initBytes = initialModel({ seed: 1 });
  const manifest = parseManifest(initBytes);
  let global = mlpFromSafetensors(initBytes);
  const data: Examples[] = o.locations.map((l) => trainingSet(l, o.maxExamples));
  let flatGlobal = flatten(global, manifest);
  const strategy = createStrategy(o.strategy, flatGlobal.length);
  const dir = mkdtempSync(path.join(tmpdir(), 'fl-sim-'));
  const perRound: number[] = [];
  const refused: string[][] = [];
  const honestNorms: number[] = [];
  try {
    for (let round = 1; round <= o.rounds; round++) {
      const ctx = { round, global: flatGlobal, blockElements: 8192 };
      strategy.reset();
      const counted: ClientUpdate[] = [];
      const norms: number[] = [];
      const out: string[] = [];
      const files: string[] = [];
      for (const [k, location] of o.locations.entries()) {
        const local = mlpFromSafetensors(mlpToSafetensors(global));
        const mu = Number(strategy.clientConfig(round).proximalMu ?? 0);
        train(local, data[k]!, { ...o.training, seed: (fnv1a32(location) ^ round) >>> 0, proximalMu: mu });
        const evil = o.attack !== 'none' && k === o.locations.length - 1;
        const flat = evil ? attackUpdate(o.attack, flatten(local, manifest), flatGlobal, round) : undefined;
        const model = flat ? unflatten(flat, local.hidden, manifest) : local;
        const file = path.join(dir, `r${round}-c${k}.safetensors`);
        writeFileSync(file, updateBytes(evil ? o.attack : 'none', model));
        files.push(file);
        const cluster = `cluster${k + 1}`;
        const u = await openSafetensorsUpdate(file, { cluster, examples: data[k]!.count, expect: manifest });
        const s = await strategy.screen(u, ctx);
        if (!evil && s.norm !== undefined) norms.push(s.norm);
        if (!s.accept) {
          out.push(`${cluster}: ${s.reason}`);
          continue;
        }
        await strategy.fold(u, s, ctx);
        counted.push(u);
      }
      const next = new Float32Array(flatGlobal.length);
      await strategy.aggregate(counted, ctx, next);
      flatGlobal = next;
      global = unflatten(next, global.hidden, manifest);
      perRound.push(evaluate(mlpToSafetensors(global)).accuracy);
      refused.push(out);
      norms.sort((a, b) => a - b);
      honestNorms.push(norms[norms.length >> 1] ?? NaN);
      for (const f of files) rmSync(f, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { accuracy: perRound[perRound.length - 1] ?? NaN, perRound, refused, honestNorms };
}
