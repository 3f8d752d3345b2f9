/**
 * Aggregation: (1) fold throughput in GB/s of update bytes vs a plain read of the same file
 * (baseline, same run); (2) hub peak RSS (VmHWM from /proc) of the aggregator as a child process
 * during a round where N = 2, 8, 32 clients upload a 128 MiB model. Clients upload in batches of
 * BATCH concurrent streams (the hub's memory must not depend on N; batching keeps the bench
 * process and the 2-core box within time). Target: peak ≤ 1.5 × model + 150 MB, flat in N.
 * Writes bench-out/aggregation.json.
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { encodeSafetensors, parseManifest } from '@ocm-fl/common/model/safetensors.js';
import { RoundAccumulator } from '@ocm-fl/hub-manager/aggregator/accumulator.js';
import { createHarness } from '@ocm-fl/hub-manager/aggregator/test-harness.js';

const MIB = 1024 * 1024;
const MODEL_MIB = Number(process.env.BENCH_MODEL_MIB ?? 128);
const NS = (process.env.BENCH_CLIENTS ?? '2,8,32').split(',').map(Number);
const BATCH = Number(process.env.BENCH_BATCH ?? 4);

function model(bytes: number, seed: number): Buffer {
  const n = Math.floor((bytes - 128) / 4);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = ((i * 2654435761 + seed) % 1000) / 1000 - 0.5;
  return encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [n], values }]);
}

const h = createHarness();
const initial = path.join(h.dir, 'initial.safetensors');
const update = path.join(h.dir, 'update.safetensors');
writeFileSync(initial, model(MODEL_MIB * MIB, 1));
writeFileSync(update, model(MODEL_MIB * MIB, 2));
const size = readFileSync(update).length;

// (1) fold throughput vs plain read
async function readAll(): Promise<number> {
  const t0 = performance.now();
  for await (const _ of createReadStream(update, { highWaterMark: MIB })) void _;
  return (performance.now() - t0) / 1000;
}
const manifest = parseManifest(readFileSync(update).subarray(0, 4096));
const acc = new RoundAccumulator(manifest);
await readAll(); // warm the page cache
const readSecs = await readAll();
const t0 = performance.now();
for (let i = 0; i < 3; i++) await acc.foldFile(update, manifest, 10);
const foldSecs = (performance.now() - t0) / 1000 / 3;

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
    ['--import', 'tsx', 'hub-manager/src/aggregator/main.ts', '--config', cfgPath],
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
        const cl = h.client(port, c);
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
  foldGBps: +(size / 1e9 / foldSecs).toFixed(2),
  plainReadGBps: +(size / 1e9 / readSecs).toFixed(2),
  rss,
  rssLimitMiB: limitMiB,
  rssWithinLimit: rss.every((r) => r.peakMiB <= limitMiB),
  uploadBatch: BATCH,
};
mkdirSync('bench-out', { recursive: true });
writeFileSync('bench-out/aggregation.json', JSON.stringify(result, null, 2) + '\n');
console.log(
  `aggregation: fold ${result.foldGBps} GB/s (plain read ${result.plainReadGBps} GB/s); peak RSS ${rss.map((r) => `N=${r.n}: ${r.peakMiB} MiB`).join(', ')} (limit ${limitMiB} MiB)`,
);
process.exit(0);
