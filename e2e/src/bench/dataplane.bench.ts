/**
 * Data-plane transfer speed: download and upload of a 256 MiB model over mTLS gRPC (the real
 * aggregator and client, including digest checks, validation, spill and fold on upload) vs a raw
 * node:tls socket moving the same bytes in this run; each both as one stream (previous client) and
 * as parallel byte-range streams on separate connections. Writes bench-out/dataplane.json.
 * Target: grpc / raw ≥ 0.8.
 */
import { mkdirSync, writeFileSync, createReadStream } from 'node:fs';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { MAX_CHUNK_BYTES } from '@ocm-fl/proto/load.js';
import { DEFAULT_PARALLEL_STREAMS } from '@ocm-fl/common/dataplane/client.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { encodeSafetensors } from '@ocm-fl/common/model/safetensors.js';
import { createHarness } from '@ocm-fl/hub-manager/aggregator/test-harness.js';
import { startAggregator } from '@ocm-fl/hub-manager/aggregator/main.js';
import { sha256File } from '@ocm-fl/common/dataplane/file-io.js';

const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.env.BENCH_MODEL_MIB ?? 256);

function model(bytes: number): Buffer {
  const n = Math.floor((bytes - 128) / 4);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = Math.sin(i * 0.001);
  return encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [n], values }]);
}

/** Raw TLS: send the file bytes one way and wait until the receiver counted them all. */
async function rawTls(file: string, size: number, h: ReturnType<typeof createHarness>): Promise<number> {
  const server = tls.createServer({ key: h.server.key, cert: h.server.cert, minVersion: 'TLSv1.2' }, (s) => {
    let got = 0;
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= size) s.end('k');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const sock = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: h.ca.certPem }, () => {
      createReadStream(file, { highWaterMark: MIB }).pipe(sock, { end: false });
    });
    sock.on('data', () => (sock.destroy(), resolve()));
    sock.on('error', reject);
  });
  const secs = (performance.now() - t0) / 1000;
  server.close();
  return secs;
}

const load = (): number[] => os.loadavg().map((x) => +x.toFixed(1));
const loadAtStart = load();
const h = createHarness();
const buf = model(SIZE_MIB * MIB);
const file = path.join(h.dir, 'initial.safetensors');
writeFileSync(file, buf);
const update = path.join(h.dir, 'update.safetensors');
writeFileSync(update, buf);
const STREAMS = Number(process.env.BENCH_STREAMS ?? DEFAULT_PARALLEL_STREAMS);
const REPS = Number(process.env.BENCH_REPS ?? 3);
// Each upload needs its own cluster (one update per cluster and round); one extra cluster never
// uploads, so the round stays open for all measurements.
const clusters = Array.from({ length: 2 * REPS + 1 }, (_, i) => `c${i}`);
const agg = await startAggregator(
  h.config({ admittedClusters: clusters, rounds: 1, roundDeadlineSeconds: 3600 }),
  { logger: silentLogger },
);

interface Sample {
  wall: number;
  cpu: number;
}
/** Wall seconds and this process's CPU seconds (user + system: both ends of the transfer run here). */
async function timed(fn: () => Promise<unknown>): Promise<Sample> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}
async function rawSample(): Promise<Sample> {
  const c0 = process.cpuUsage();
  const wall = await rawTls(file, buf.length, h);
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}
const samples: Record<string, Sample[]> = {
  raw: [],
  downSingle: [],
  downRanged: [],
  upSingle: [],
  upRanged: [],
  sha256: [],
};
// Interleaved repetitions, so a burst of load on the shared box hits every variant alike.
for (let rep = 0; rep < REPS; rep++) {
  const single = h.client(agg.port, `c${2 * rep}`, { parallel: { streams: 1 } });
  const ranged = h.client(agg.port, `c${2 * rep + 1}`, { parallel: { streams: STREAMS } });
  await single.join();
  await ranged.join();
  samples.raw!.push(await rawSample());
  samples.sha256!.push(await timed(() => sha256File(update)));
  samples.downSingle!.push(await timed(() => single.downloadModel(1, path.join(h.dir, `dl${rep}s`, 'm'))));
  samples.downRanged!.push(await timed(() => ranged.downloadModel(1, path.join(h.dir, `dl${rep}r`, 'm'))));
  samples.upSingle!.push(await timed(() => single.uploadUpdate(1, update, 1, {})));
  samples.upRanged!.push(await timed(() => ranged.uploadUpdate(1, update, 1, {})));
  single.close();
  ranged.close();
}
await agg.close();

const MiB = buf.length / MIB;
const best = (k: string, f: 'wall' | 'cpu'): number => Math.min(...samples[k]!.map((x) => x[f]));
const rawWall = best('raw', 'wall');
const rawCpu = best('raw', 'cpu');
function variant(k: string): Record<string, number | number[]> {
  return {
    MiBps: Math.round(MiB / best(k, 'wall')),
    ratio: +(rawWall / best(k, 'wall')).toFixed(2),
    cpuSecondsPerGiB: +((best(k, 'cpu') / MiB) * 1024).toFixed(2),
    cpuRatio: +(rawCpu / best(k, 'cpu')).toFixed(2),
    runsMiBps: samples[k]!.map((x) => Math.round(MiB / x.wall)),
  };
}
const result = {
  modelMiB: SIZE_MIB,
  repetitions: REPS,
  method:
    'best of REPS interleaved runs; ratio = raw wall time / gRPC wall time; cpuRatio = raw CPU time / gRPC CPU time (both ends in this one process), which the load of the shared box distorts less',
  baseline: {
    what: 'raw node:tls socket (same certificates) moving the same bytes one way in this process',
    MiBps: Math.round(MiB / rawWall),
    cpuSecondsPerGiB: +((rawCpu / MiB) * 1024).toFixed(2),
    runsMiBps: samples.raw!.map((x) => Math.round(MiB / x.wall)),
  },
  // Work every upload does besides moving bytes: the client hashes the file before sending and
  // the aggregator hashes it again while checking it (plus finiteness checks and the fold).
  sha256FileMiBps: Math.round(MiB / best('sha256', 'wall')),
  singleStream: { download: variant('downSingle'), upload: variant('upSingle') },
  parallelRanges: { streams: STREAMS, download: variant('downRanged'), upload: variant('upRanged') },
  chunkBytes: MAX_CHUNK_BYTES,
  target: 0.8,
  cpus: os.cpus().length,
  loadAverage: { atStart: loadAtStart, atEnd: load() },
  notes:
    'gRPC figures are end-to-end client calls in one process with the aggregator: file digest, transfer, digest check (download), server-side validation, spill and fold into the accumulator (upload); raw TLS only moves bytes',
};
mkdirSync('bench-out', { recursive: true });
writeFileSync('bench-out/dataplane.json', JSON.stringify(result, null, 2) + '\n');
const r = result;
console.log(
  `dataplane (${SIZE_MIB} MiB, best of ${REPS}, load ${loadAtStart[0]}): raw TLS ${r.baseline.MiBps} MiB/s; ` +
    `one stream: down ×${r.singleStream.download.ratio} (cpu ×${r.singleStream.download.cpuRatio}), up ×${r.singleStream.upload.ratio} (cpu ×${r.singleStream.upload.cpuRatio}); ` +
    `${STREAMS} ranges: down ×${r.parallelRanges.download.ratio} (cpu ×${r.parallelRanges.download.cpuRatio}), up ×${r.parallelRanges.upload.ratio} (cpu ×${r.parallelRanges.upload.cpuRatio})`,
);
process.exit(0);
