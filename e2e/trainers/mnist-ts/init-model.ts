import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { DType } from '@ocm-fl/common/model/safetensors.js';
import { initMlp, mlpToSafetensors } from './mlp.js';

/** The round-0 global model: deterministic for a seed (same seed, same bytes). */
export function initialModel(opts: { seed?: number; hidden?: number; dtype?: DType } = {}): Buffer {
  const seed = opts.seed ?? 1;
  return mlpToSafetensors(initMlp(seed, opts.hidden ?? 64), opts.dtype ?? 'F32', { seed: String(seed) });
}

// CLI: npx tsx e2e/trainers/mnist-ts/init-model.ts <out.safetensors> [seed] [hidden] [F32|F16]
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [out, seed, hidden, dtype] = process.argv.slice(2);
  if (!out) {
    console.error('usage: init-model.ts <out.safetensors> [seed=1] [hidden=64] [dtype=F32]');
    process.exit(2);
  }
  const buf = initialModel({
    seed: Number(seed ?? 1),
    hidden: Number(hidden ?? 64),
    dtype: (dtype ?? 'F32') as DType,
  });
  writeFileSync(out, buf);
  console.log(JSON.stringify({ out, bytes: buf.length }));
}
