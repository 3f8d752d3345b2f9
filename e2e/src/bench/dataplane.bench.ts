/**
 * Data-plane transfer speed: download and upload of a 256 MiB model over mTLS gRPC (the real
 * aggregator and client, including digest checks, validation, spill and fold on upload) vs a raw
 * node:tls socket moving the same bytes between the same two processes' worth of code in this run.
 * Writes bench-out/dataplane.json. Target: grpc / raw ≥ 0.8.
 */
import { mkdirSync, writeFileSync, createReadStream } from 'node:fs';
import tls from 'node:tls';
import path from 'node:path';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { encodeSafetensors } from '@ocm-fl/common/model/safetensors.js';
import { createHarness } from '@ocm-fl/hub-manager/aggregator/test-harness.js';
import { startAggregator } from '@ocm-fl/hub-manager/aggregator/main.js';

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

const h = createHarness();
const buf = model(SIZE_MIB * MIB);
const file = path.join(h.dir, 'initial.safetensors');
writeFileSync(file, buf);
const update = path.join(h.dir, 'update.safetensors');
writeFileSync(update, buf);
h.clientCert('c1');
const agg = await startAggregator(
  h.config({ admittedClusters: ['c1', 'c2'], rounds: 1, roundDeadlineSeconds: 3600 }),
  { logger: silentLogger },
);
const c = h.client(agg.port, 'c1');
await c.join();

const rawSecs = await rawTls(file, buf.length, h);
let t0 = performance.now();
await c.downloadModel(1, path.join(h.dir, 'dl', 'model.safetensors'));
const downSecs = (performance.now() - t0) / 1000;
t0 = performance.now();
await c.uploadUpdate(1, update, 1, {});
const upSecs = (performance.now() - t0) / 1000;
c.close();
await agg.close();

const mbps = (s: number): number => Math.round(buf.length / MIB / s);
const result = {
  modelMiB: SIZE_MIB,
  rawTlsMiBps: mbps(rawSecs),
  grpcDownloadMiBps: mbps(downSecs),
  grpcUploadMiBps: mbps(upSecs),
  downloadRatio: +(rawSecs / downSecs).toFixed(2),
  uploadRatio: +(rawSecs / upSecs).toFixed(2),
  target: 0.8,
  notes:
    'download/upload are end-to-end client calls: digest of the file, transfer, server-side validation, spill and fold (upload); raw TLS only moves bytes',
};
mkdirSync('bench-out', { recursive: true });
writeFileSync('bench-out/dataplane.json', JSON.stringify(result, null, 2) + '\n');
console.log(
  `dataplane: raw TLS ${result.rawTlsMiBps} MiB/s, gRPC download ${result.grpcDownloadMiBps} MiB/s (×${result.downloadRatio}), upload ${result.grpcUploadMiBps} MiB/s (×${result.uploadRatio})`,
);
process.exit(0);
