/**
 * Data-plane transfer speed, in the deployment's shape: the aggregator runs as its own process
 * (`hub-manager aggregate`, as in its Pod) and this process is the agent. Each
 * repetition moves a 256 MiB model, interleaved so a burst of load on the shared box hits every
 * variant alike:
 *   - baseline: a raw node:tls mTLS socket to a peer process, file to file (the same endpoints
 *     a model transfer has), and memory to memory;
 *   - end to end: the real client against the real aggregator: download (digest check, fsync,
 *     rename) and upload (digest given as the agent's handoff has it; the aggregator hashes,
 *     validates, spills and folds before it replies), one stream and parallel byte ranges;
 *   - transport: the aggregator's gRPC server (same hardening and window settings) with
 *     handlers that only move bytes from/to memory: what gRPC itself costs, vs raw memory.
 * Wall time and CPU seconds on both sides (this process; the peer from /proc/<pid>/stat).
 * Writes bench-out/dataplane.json. Target: end-to-end / raw ≥ 0.8.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import http2 from 'node:http2';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_CHUNK_BYTES } from '@ocm-fl/proto/load.js';
import { DEFAULT_PARALLEL_STREAMS } from '@ocm-fl/common/dataplane/client.js';
import { AggregatorChannel } from '@ocm-fl/common/dataplane/grpc-client.js';
import { encodeSafetensors } from '@ocm-fl/common/model/safetensors.js';
import { createHarness } from '@ocm-fl/hub-manager/aggregator/test-harness.js';
import { pumpBuffer } from './pump.js';
import { sha256File } from '@ocm-fl/common/dataplane/file-io.js';
import type { DownloadModelResponse__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/DownloadModelResponse.js';
import type { UploadUpdateRequest } from '@ocm-fl/proto/generated/federatedlearning/v1/UploadUpdateRequest.js';

const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.env.BENCH_MODEL_MIB ?? 256);
const STREAMS = Number(process.env.BENCH_STREAMS ?? DEFAULT_PARALLEL_STREAMS);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '../../..');
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

function model(bytes: number): Buffer {
  const n = Math.floor((bytes - 128) / 4);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = Math.sin(i * 0.001);
  return encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [n], values }]);
}

/** Start `node --import tsx <script> ...args` and resolve with it and its first stdout line. */
async function startNode(script: string, args: string[]): Promise<{ child: ChildProcess; line: string }> {
  // BENCH_PROFILE_DIR=<dir>: V8 CPU profiles of the aggregator and the peer, to see where time goes.
  const prof = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', script, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buf = '';
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`${path.basename(script)} exited with ${c}`)));
    child.stdout!.on('data', (d: Buffer) => {
      buf += String(d);
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
  });
  child.removeAllListeners('exit');
  return { child, line };
}

function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
}

const h = createHarness();
const buf = model(SIZE_MIB * MIB);
const MiB = buf.length / MIB;
const file = path.join(h.dir, 'initial.safetensors');
writeFileSync(file, buf);
const update = path.join(h.dir, 'update.safetensors');
writeFileSync(update, buf);
const updateDigest = await sha256File(update);
const client = h.clientCert('bench');
const tlsMaterial = { cert: client.cert, key: client.key, ca: Buffer.from(h.ca.certPem) };

// Each upload needs its own cluster (one update per cluster and round); one extra cluster never
// uploads, so the round stays open for all measurements.
const clusters = Array.from({ length: 2 * REPS + 1 }, (_, i) => `c${i}`);
const configFile = path.join(h.dir, 'aggregator.json');
writeFileSync(
  configFile,
  JSON.stringify(h.config({ admittedClusters: clusters, rounds: 1, roundDeadlineSeconds: 3600 })),
);
const pkiFile = path.join(h.dir, 'peer-pki.json');
writeFileSync(
  pkiFile,
  JSON.stringify({ cert: String(h.server.cert), key: String(h.server.key), ca: h.ca.certPem }),
);
const scratch = path.join(h.dir, 'peer');
mkdirSync(scratch);

const agg = await startNode(path.join(root, 'hub-manager/src/cli.ts'), ['aggregate', '--config', configFile]);
const aggPort = (JSON.parse(agg.line) as { port: number }).port;
const peer = await startNode(path.join(here, 'dataplane-peer.ts'), [pkiFile, file, scratch]);
// A failed run must not leave the aggregator and the peer serving.
process.on('exit', () => [agg.child, peer.child].forEach((c) => c.exitCode === null && c.kill()));
const peerPorts = JSON.parse(peer.line) as { raw: number; http2: number; grpc: number };

/** One raw mTLS connection to the peer: 'U'/'u' send (from file/memory), 'D'/'d' receive. */
function rawTransfer(mode: 'U' | 'u' | 'D' | 'd', dest: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const sock = tls.connect(
      { port: peerPorts.raw, host: '127.0.0.1', servername: 'localhost', ...tlsMaterial },
      () => {
        sock.write(mode);
        if (mode === 'U')
          createReadStream(update, { highWaterMark: MAX_CHUNK_BYTES }).pipe(sock, { end: false });
        if (mode === 'u') pumpBuffer(sock, buf, MAX_CHUNK_BYTES);
      },
    );
    sock.on('error', reject);
    if (mode === 'U' || mode === 'u') return void sock.once('data', () => (sock.destroy(), resolve()));
    let got = 0;
    const out = mode === 'D' ? createWriteStream(dest, { highWaterMark: 8 * MAX_CHUNK_BYTES }) : undefined;
    sock.on('data', (d: Buffer) => {
      got += d.length;
      out?.write(d);
    });
    sock.on('end', () => {
      if (got !== buf.length) return reject(new Error(`raw download got ${got} of ${buf.length} bytes`));
      if (out) out.end(resolve);
      else resolve();
    });
  });
}

/** Plain node:http2 over the same mTLS, big windows both ways, memory to memory. */
const h2 = http2.connect(`https://localhost:${peerPorts.http2}`, {
  ...tlsMaterial,
  settings: { initialWindowSize: 16 * MAX_CHUNK_BYTES },
});
h2.once('remoteSettings', () => h2.setLocalWindowSize(16 * MAX_CHUNK_BYTES));
h2.on('error', () => undefined);
function http2Transfer(direction: 'up' | 'down'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = h2.request({ ':method': direction === 'up' ? 'POST' : 'GET', ':path': `/${direction}` });
    req.on('error', reject);
    let got = 0;
    let sent = 0;
    req.on('response', (hdrs) => (sent = Number(hdrs['x-bytes'] ?? 0)));
    req.on('data', (d: Buffer) => (got += d.length));
    req.on('end', () => {
      const moved = direction === 'up' ? sent : got;
      if (moved !== buf.length) reject(new Error(`http2 ${direction} moved ${moved} bytes`));
      else resolve();
    });
    if (direction === 'down') return void req.end();
    pumpBuffer(req, buf, MAX_CHUNK_BYTES);
  });
}

const transport = new AggregatorChannel({
  endpoint: `127.0.0.1:${peerPorts.grpc}`,
  serverName: 'localhost',
  tls: tlsMaterial,
});
async function transportDownload(): Promise<void> {
  let n = 0;
  for await (const m of transport.serverStream<object, DownloadModelResponse__Output>(
    (c) => c.downloadModel,
    {},
  ))
    n += m.chunk?.data.length ?? 0;
  if (n !== buf.length) throw new Error(`transport download got ${n} bytes`);
}
async function* transportMessages(): AsyncGenerator<UploadUpdateRequest> {
  for (let o = 0; o < buf.length; o += MAX_CHUNK_BYTES)
    yield { chunk: { offset: o, data: buf.subarray(o, o + MAX_CHUNK_BYTES) } };
}
async function transportUpload(): Promise<void> {
  const r = await transport.clientStream<UploadUpdateRequest, { receivedBytes: number }>(
    (c) => c.uploadUpdate,
    transportMessages(),
  );
  if (Number(r.receivedBytes) !== buf.length)
    throw new Error(`transport upload moved ${r.receivedBytes} bytes`);
}

interface Sample {
  wall: number;
  /** CPU seconds of this process (the agent side). */
  cpu: number;
  /** CPU seconds of the process at the other end. */
  peerCpu: number;
}
async function timed(peerPid: number, fn: () => Promise<unknown>): Promise<Sample> {
  const p0 = cpuOf(peerPid);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6, peerCpu: cpuOf(peerPid) - p0 };
}

const loadAvg = (): number[] => os.loadavg().map((x) => +x.toFixed(1));
const loadAtStart = loadAvg();
const samples: Record<string, Sample[]> = {};
const add = (k: string, s: Sample): void => void (samples[k] ??= []).push(s);
const peerPid = peer.child.pid!;
const aggPid = agg.child.pid!;
for (let rep = 0; rep < REPS; rep++) {
  const single = h.client(aggPort, `c${2 * rep}`, { parallel: { streams: 1 } });
  const ranged = h.client(aggPort, `c${2 * rep + 1}`, { parallel: { streams: STREAMS } });
  await single.join();
  await ranged.join();
  const dl = (k: string): string => path.join(h.dir, `dl-${rep}-${k}`, 'model.safetensors');
  mkdirSync(path.dirname(dl('raw')), { recursive: true });
  add('rawDownload', await timed(peerPid, () => rawTransfer('D', dl('raw'))));
  add('rawUpload', await timed(peerPid, () => rawTransfer('U', '')));
  add('rawMemoryDownload', await timed(peerPid, () => rawTransfer('d', '')));
  add('rawMemoryUpload', await timed(peerPid, () => rawTransfer('u', '')));
  add('http2Download', await timed(peerPid, () => http2Transfer('down')));
  add('http2Upload', await timed(peerPid, () => http2Transfer('up')));
  add('transportDownload', await timed(peerPid, transportDownload));
  add('transportUpload', await timed(peerPid, transportUpload));
  add('sha256', await timed(peerPid, () => sha256File(update)));
  add('singleDownload', await timed(aggPid, () => single.downloadModel(1, dl('s'))));
  add('rangedDownload', await timed(aggPid, () => ranged.downloadModel(1, dl('r'))));
  const opts = { sha256: updateDigest };
  add('singleUpload', await timed(aggPid, () => single.uploadUpdate(1, update, 1, {}, opts)));
  add('rangedUpload', await timed(aggPid, () => ranged.uploadUpdate(1, update, 1, {}, opts)));
  single.close();
  ranged.close();
}
transport.close();
h2.close();
for (const c of [agg.child, peer.child]) {
  c.kill('SIGTERM');
  await once(c, 'exit');
}
rmSync(h.dir, { recursive: true, force: true }); // several model copies; the numbers are all we keep

const bestBy = (k: string): Sample => samples[k]!.reduce((a, b) => (b.wall < a.wall ? b : a));
const perGiB = (secs: number): number => +((secs / MiB) * 1024).toFixed(2);
function figures(k: string, baseline?: string): Record<string, unknown> {
  const b = bestBy(k);
  return {
    MiBps: Math.round(MiB / b.wall),
    ...(baseline ? { ratio: +(bestBy(baseline).wall / b.wall).toFixed(2) } : {}),
    agentCpuSecondsPerGiB: perGiB(b.cpu),
    peerCpuSecondsPerGiB: perGiB(b.peerCpu),
    runsMiBps: samples[k]!.map((x) => Math.round(MiB / x.wall)),
  };
}
const result = {
  modelMiB: SIZE_MIB,
  repetitions: REPS,
  method:
    'aggregator and baseline peer each in their own process (2 cores here: one per side); best of REPS interleaved runs; ratio = baseline wall time / variant wall time',
  target: 0.8,
  baseline: {
    what: 'raw node:tls mTLS socket between two processes, same certificates, file to file',
    download: figures('rawDownload'),
    upload: figures('rawUpload'),
  },
  endToEnd: {
    what: 'real client and aggregator: download = stream + SHA-256 check + fsync + rename; upload = stream (digest given) + hub hash + validation + spill + fold before the reply',
    singleStream: {
      download: figures('singleDownload', 'rawDownload'),
      upload: figures('singleUpload', 'rawUpload'),
    },
    parallelRanges: {
      streams: STREAMS,
      download: figures('rangedDownload', 'rawDownload'),
      upload: figures('rangedUpload', 'rawUpload'),
    },
  },
  transport: {
    what: "gRPC alone: the aggregator's hardened server and the client channel, handlers moving bytes from/to memory, vs a raw socket from/to memory",
    rawMemory: { download: figures('rawMemoryDownload'), upload: figures('rawMemoryUpload') },
    download: figures('transportDownload', 'rawMemoryDownload'),
    upload: figures('transportUpload', 'rawMemoryUpload'),
    http2Ceiling: {
      what: 'plain node:http2 (no gRPC) over the same mTLS with 16 MiB windows, memory to memory: the most any gRPC-over-HTTP/2 transport on Node can reach here',
      download: figures('http2Download', 'rawMemoryDownload'),
      upload: figures('http2Upload', 'rawMemoryUpload'),
    },
  },
  // Cost of hashing the whole file once (what an upload without a known digest adds first).
  sha256FileMiBps: Math.round(MiB / bestBy('sha256').wall),
  chunkBytes: MAX_CHUNK_BYTES,
  cpus: os.cpus().length,
  loadAverage: { atStart: loadAtStart, atEnd: loadAvg() },
};
mkdirSync(path.join(root, 'bench-out'), { recursive: true });
writeFileSync(path.join(root, 'bench-out/dataplane.json'), JSON.stringify(result, null, 2) + '\n');
const ratio = (x: unknown): unknown => (x as { ratio: number }).ratio;
const e = result.endToEnd;
console.log(
  `dataplane (${SIZE_MIB} MiB, best of ${REPS}, load ${loadAtStart[0]}): raw TLS down ${result.baseline.download.MiBps} / up ${result.baseline.upload.MiBps} MiB/s; ` +
    `end to end, one stream: down ×${ratio(e.singleStream.download)} up ×${ratio(e.singleStream.upload)}; ` +
    `${STREAMS} ranges: down ×${ratio(e.parallelRanges.download)} up ×${ratio(e.parallelRanges.upload)}; ` +
    `gRPC transport alone: down ×${ratio(result.transport.download)} up ×${ratio(result.transport.upload)}; ` +
    `plain HTTP/2 ceiling: down ×${ratio(result.transport.http2Ceiling.download)} up ×${ratio(result.transport.http2Ceiling.upload)}`,
);
process.exit(0);
