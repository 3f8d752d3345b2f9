/**
 * Aggregation: (1) fold throughput in GB/s of update bytes (F32 and F16 models) vs a plain read
 * of the same file and vs the previous fold implementation (legacy-fold.ts), all in this run; (2) hub peak RSS (VmHWM from /proc) of the aggregator as a child process
 * during a round where N = 2, 8, 32 clients upload a 128 MiB model. Clients upload in batches of
 * BATCH concurrent streams (the hub's memory must not depend on N; batching keeps the bench
 * process and the 2-core box within time). Target: peak ≤ 1.5 × model + 150 MB, flat in N.
 * Writes bench-out/aggregation.json.
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { encodeSafetensors, parseManifest } from '@ocm-fl/common/model/safetensors.js';
import { RoundAccumulator } from '@ocm-fl/hub-manager/aggregator/accumulator.js';
import { createHarness } from '@ocm-fl/hub-manager/aggregator/test-harness.js';
import { legacyFoldFile } from './legacy-fold.js';
import { DEFAULT_PARALLEL_STREAMS } from '@ocm-fl/common/dataplane/client.js';

const MIB = 1024 * 1024;
const MODEL_MIB = Number(process.env.BENCH_MODEL_MIB ?? 128);
const NS = (process.env.BENCH_CLIENTS ?? '2,8,32').split(',').map(Number);
const BATCH = Number(process.env.BENCH_BATCH ?? 4);
/** Ranged streams per client upload (1 = the single-stream client). */
const STREAMS = Number(process.env.BENCH_STREAMS ?? DEFAULT_PARALLEL_STREAMS);

function model(bytes: number, seed: number, dtype: 'F32' | 'F16' = 'F32'): Buffer {
  const n = Math.floor((bytes - 128) / (dtype === 'F32' ? 4 : 2));
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = ((i * 2654435761 + seed) % 1000) / 1000 - 0.5;
  return encodeSafetensors([{ name: 'w', dtype, shape: [n], values }]);
}
const load = (): number[] => os.loadavg().map((x) => +x.toFixed(1));
const loadAtStart = load();

const h = createHarness();
const initial = path.join(h.dir, 'initial.safetensors');
const update = path.join(h.dir, 'update.safetensors');
writeFileSync(initial, model(MODEL_MIB * MIB, 1));
writeFileSync(update, model(MODEL_MIB * MIB, 2));
const size = readFileSync(update).length;

// (1) fold throughput vs plain read and vs the previous implementation
async function readAll(file: string): Promise<number> {
  const t0 = performance.now();
  for await (const _ of createReadStream(file, { highWaterMark: MIB })) void _;
  return (performance.now() - t0) / 1000;
}
async function timeIt(fn: () => Promise<void>, times = 2): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < times; i++) await fn();
  return (performance.now() - t0) / 1000 / times;
}
async function foldBench(file: string): Promise<Record<string, number>> {
  const bytes = readFileSync(file).length;
  const manifest = parseManifest(readFileSync(file).subarray(0, 4096));
  const acc = new RoundAccumulator(manifest);
  await readAll(file); // warm the page cache
  const readSecs = await readAll(file);
  await acc.foldFile(file, manifest, 10); // first update is a copy; time the weighted path
  const newSecs = await timeIt(() => acc.foldFile(file, manifest, 10));
  const oldSecs = await timeIt(() => legacyFoldFile(acc.mean, file, manifest, 0.5));
  const gbps = (secs: number): number => +(bytes / 1e9 / secs).toFixed(3);
  return {
    foldGBps: gbps(newSecs),
    previousFoldGBps: gbps(oldSecs),
    plainReadGBps: gbps(readSecs),
    speedupVsPrevious: +(oldSecs / newSecs).toFixed(1),
  };
}
const f16Update = path.join(h.dir, 'update-f16.safetensors');
writeFileSync(f16Update, model(MODEL_MIB * MIB, 3, 'F16'));
const skipFold = process.env.BENCH_SKIP_FOLD === '1';
const foldF32 = skipFold ? {} : await foldBench(update);
const foldF16 = skipFold ? {} : await foldBench(f16Update);
const loadAfterFold = load();

// (2) peak RSS of the aggregator process per N
async function peakRss(n: number): Promise<{ n: number; peakMiB: number; seconds: number }> {
  const clusters = Array.from({ length: n }, (_, i) => `c${i}`);
  clusters.forEach((c) => h.clientCert(c));
  const cfg = h.config({
    admittedClusters: clusters,
    minClients: n,
    rounds: 1,
    storageDir: path.join(h.dir, `s${n}`),
    roundDeadlineSeconds: 3600,
  });
  const cfgPath = path.join(h.dir, `cfg${n}.json`);
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'hub-manager/src/cli.ts', 'aggregate', '--config', cfgPath],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve) =>
    lines.on('line', (l) => {
      const m = JSON.parse(l) as { event: string; port: number };
      if (m.event === 'listening') resolve(m.port);
    }),
  );
  const done = new Promise<void>((resolve) => lines.on('line', (l) => l.includes('"done"') && resolve()));
  const start = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    await Promise.all(
      clusters.slice(i, i + BATCH).map(async (c) => {
        const cl = h.client(port, c, { parallel: { streams: STREAMS } });
        await cl.uploadUpdate(1, update, 10 + i, {});
        cl.close();
      }),
    );
  }
  await done;
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  child.kill('SIGKILL');
  return { n, peakMiB: Math.round(hwm / 1024), seconds: +((performance.now() - start) / 1000).toFixed(1) };
}
const rss = [];
for (const n of NS) rss.push(await peakRss(n));

const limitMiB = Math.round((1.5 * size) / MIB + 150);
const result = {
  modelMiB: +(size / MIB).toFixed(1),
  fold: {
    F32: foldF32,
    F16: foldF16,
    baselines: 'plain 1 MiB-chunk read of the same file; previous fold (legacy-fold.ts), same run',
    unit: 'GB/s of update bytes (page-cached file, weighted fold into a float32 accumulator)',
  },
  rss,
  rssLimitMiB: limitMiB,
  rssWithinLimit: rss.every((r) => r.peakMiB <= limitMiB),
  uploadBatch: BATCH,
  uploadStreams: STREAMS,
  uploadNote: `clients upload ${BATCH} at a time (batches), each as ${STREAMS} parallel ranged stream(s)`,
  cpus: os.cpus().length,
  loadAverage: { atStart: loadAtStart, afterFold: loadAfterFold, atEnd: load() },
};
mkdirSync('bench-out', { recursive: true });
writeFileSync('bench-out/aggregation.json', JSON.stringify(result, null, 2) + '\n');
console.log(
  `aggregation: fold F32 ${foldF32.foldGBps} GB/s (previous ${foldF32.previousFoldGBps}, plain read ${foldF32.plainReadGBps}), F16 ${foldF16.foldGBps} GB/s (previous ${foldF16.previousFoldGBps}); load ${loadAtStart[0]}; peak RSS ${rss.map((r) => `N=${r.n}: ${r.peakMiB} MiB`).join(', ')} (limit ${limitMiB} MiB)`,
);
process.exit(0);
