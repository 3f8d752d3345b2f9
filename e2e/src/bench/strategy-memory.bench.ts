/**
 * Memory and time of each aggregation rule over N spilled updates of a MODEL_MIB model, each
 * (rule, N) in its own process: the peak RSS growth during screen + fold + aggregate (VmHWM
 * after resetting it through /proc/self/clear_refs), in multiples of the model size, against
 * the bound the strategy README states. Writes bench-out/strategy-memory.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeSafetensors, parseManifest } from '@ocm-fl/common/model/safetensors.js';
import {
  createStrategy,
  openSafetensorsUpdate,
  type ClientUpdate,
  type StrategySpec,
} from '@ocm-fl/hub-manager/aggregator/strategy/index.js';

const MIB = 1 << 20;
const MODEL_MIB = Number(process.env.BENCH_STRATEGY_MODEL_MIB ?? 16);
const NS = (process.env.BENCH_STRATEGY_CLIENTS ?? '4,16').split(',').map(Number);
const BLOCK = 65536;
const RULES: StrategySpec[] = [
  { name: 'FedAvg' },
  { name: 'FedAdam' },
  { name: 'FedMedian' },
  { name: 'FedTrimmedAvg', parameters: { beta: 0.2 } },
  { name: 'Krum', parameters: { f: 1 } },
];

function hwmMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m?.[1] ?? NaN) / 1024;
}
function rssMiB(): number {
  return process.memoryUsage().rss / MIB;
}

function values(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (((i * 2654435761 + seed * 97) >>> 0) % 1000) / 1000 - 0.5;
  return v;
}

async function child(dir: string, spec: StrategySpec, n: number): Promise<void> {
  const files = Array.from({ length: n }, (_, k) => path.join(dir, `u${k}.safetensors`));
  const manifest = parseManifest(readFileSync(path.join(dir, 'u0.safetensors')).subarray(0, 1 << 16));
  const elements = manifest.dataBytes / 4;
  const global = new Float32Array(elements);
  const out = new Float32Array(elements);
  const strategy = createStrategy(spec, elements);
  const ctx = { round: 1, global, blockElements: BLOCK };
  global.fill(0.01);
  out.fill(0);
  (globalThis as { gc?: () => void }).gc?.();
  let before = rssMiB();
  try {
    writeFileSync('/proc/self/clear_refs', '5'); // reset VmHWM to the current RSS
    before = hwmMiB();
  } catch {
    // not permitted: VmHWM is then the peak since start, an upper bound
  }
  const t0 = performance.now();
  const counted: ClientUpdate[] = [];
  for (const [k, f] of files.entries()) {
    const u = await openSafetensorsUpdate(f, { cluster: `c${k}`, examples: 100 + k, expect: manifest });
    const s = await strategy.screen(u, ctx);
    if (!s.accept) throw new Error(s.reason);
    await strategy.fold(u, s, ctx);
    counted.push(u);
  }
  await strategy.aggregate(counted, ctx, out);
  const seconds = (performance.now() - t0) / 1000;
  const grownMiB = hwmMiB() - before;
  process.stdout.write(
    `${JSON.stringify({
      rule: spec.name,
      clients: n,
      modelMiB: MODEL_MIB,
      peakGrowthMiB: +grownMiB.toFixed(1),
      peakGrowthModels: +(grownMiB / MODEL_MIB).toFixed(2),
      statedModels: strategy.memoryModels,
      statedBlockMiB: +(((n + 1) * BLOCK * 4) / MIB).toFixed(1),
      seconds: +seconds.toFixed(2),
    })}\n`,
  );
}

async function parent(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'strategy-mem-'));
  const elements = (MODEL_MIB * MIB) / 4;
  try {
    for (let k = 0; k < Math.max(...NS); k++)
      writeFileSync(
        path.join(dir, `u${k}.safetensors`),
        encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [elements], values: values(elements, k) }]),
      );
    const rows: unknown[] = [];
    for (const spec of RULES)
      for (const n of NS) {
        const r = spawnSync(
          process.execPath,
          [
            '--expose-gc',
            '--import',
            'tsx',
            fileURLToPath(import.meta.url),
            '--child',
            dir,
            JSON.stringify(spec),
            String(n),
          ],
          { encoding: 'utf8' },
        );
        if (r.status !== 0) throw new Error(`${spec.name} N=${n}: ${r.stderr}`);
        const row = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
        rows.push(row);
        process.stdout.write(
          `${String(row.rule).padEnd(15)} N=${String(n).padEnd(4)} peak +${String(row.peakGrowthMiB).padEnd(7)} MiB = ${String(row.peakGrowthModels).padEnd(5)} models (stated ${String(row.statedModels)} models + ${String(row.statedBlockMiB)} MiB blocks), ${String(row.seconds)} s\n`,
        );
      }
    writeFileSync(path.join('bench-out', 'strategy-memory.json'), `${JSON.stringify(rows, null, 1)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child')
  await child(args[1] as string, JSON.parse(args[2] as string) as StrategySpec, Number(args[3]));
else await parent();
