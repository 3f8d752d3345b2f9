/**
 * The far end of the data-plane bench, run as its own process (like the aggregator Pod is):
 *   - a raw node:tls server (mTLS, same certificates as the aggregator): the first byte of a
 *     connection picks the direction. 'U' = receive the model into a file, reply 'k' once all
 *     bytes are written; 'D' = send the model file. 'u' / 'd' do the same from/to memory.
 *   - a plain node:http2 server (same mTLS) with 16 MiB connection and 4 MiB stream windows:
 *     what any HTTP/2-based transport can reach here, the ceiling for gRPC on Node.
 *     POST /up = receive into memory, GET /down = send the model from memory;
 *   - a gRPC server with the aggregator's own hardened transport (startGrpcServer) whose
 *     handlers only move bytes from/to memory: the cost of gRPC itself, without digests,
 *     validation, spill files or folding.
 * Prints one JSON line with the ports, then serves until killed.
 *   node --import tsx dataplane-peer.ts <pki.json> <model file> <scratch dir>
 */
import { createReadStream, createWriteStream, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import http2 from 'node:http2';
import tls from 'node:tls';
import { MAX_CHUNK_BYTES } from '@ocm-fl/proto/load.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { fail } from '@ocm-fl/common/dataplane/errors.js';
import { pumpBuffer } from './pump.js';
import { startGrpcServer, type Handlers } from '@ocm-fl/hub-manager/aggregator/grpc-server.js';

export interface PeerPki {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

const [pkiFile, modelFile, scratch] = process.argv.slice(2);
if (!pkiFile || !modelFile || !scratch) throw new Error('usage: dataplane-peer.ts <pki.json> <model> <dir>');
const pki = JSON.parse(readFileSync(pkiFile, 'utf8')) as PeerPki;
const material = { cert: Buffer.from(pki.cert), key: Buffer.from(pki.key), ca: Buffer.from(pki.ca) };
const size = statSync(modelFile).size;
const model = readFileSync(modelFile);

let uploads = 0;
const raw = tls.createServer(
  { ...material, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
  (sock) => {
    sock.on('error', () => undefined);
    sock.once('data', (first: Buffer) => {
      const mode = String.fromCharCode(first[0] ?? 0);
      const rest = first.subarray(1);
      if (mode === 'D')
        return void createReadStream(modelFile, { highWaterMark: MAX_CHUNK_BYTES }).pipe(sock);
      if (mode === 'd') return pumpBuffer(sock, model, MAX_CHUNK_BYTES);
      let got = rest.length;
      const out =
        mode === 'U'
          ? createWriteStream(path.join(scratch, `raw-${uploads++}`), { highWaterMark: 8 * MAX_CHUNK_BYTES })
          : undefined;
      if (out && rest.length) out.write(rest);
      const done = (): void => void sock.end('k');
      const onData = (d: Buffer): void => {
        got += d.length;
        if (out && !out.write(d)) {
          sock.pause();
          out.once('drain', () => sock.resume());
        }
        if (got >= size) {
          sock.off('data', onData);
          if (out) out.end(done);
          else done();
        }
      };
      sock.on('data', onData);
    });
  },
);
await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));

const h2 = http2.createSecureServer({
  ...material,
  requestCert: true,
  rejectUnauthorized: true,
  minVersion: 'TLSv1.2',
  settings: { initialWindowSize: 4 * MAX_CHUNK_BYTES },
});
// A server may raise its connection window (node:http2 API); grpc-js does not expose this.
h2.on('session', (s) => s.once('localSettings', () => s.setLocalWindowSize(16 * MAX_CHUNK_BYTES)));
h2.on('stream', (stream, headers) => {
  stream.on('error', () => undefined);
  if (headers[':path'] === '/down') {
    stream.respond({ ':status': 200 });
    return pumpBuffer(stream, model, MAX_CHUNK_BYTES);
  }
  let n = 0;
  stream.on('data', (d: Buffer) => (n += d.length));
  stream.on('end', () => {
    stream.respond({ ':status': 200, 'x-bytes': String(n) });
    stream.end();
  });
});
await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));

const refuse = (): Promise<never> => Promise.reject(fail('UNIMPLEMENTED', 'bench transport server'));
const handlers: Handlers = {
  join: refuse,
  heartbeat: refuse,
  getTask: refuse,
  getUploadOffset: refuse,
  reportMetrics: refuse,
  reportFailure: refuse,
  async *downloadModel(req) {
    const end = Number(req.end) || size;
    for (let o = Number(req.offset); o < end; o += MAX_CHUNK_BYTES)
      yield { chunk: { offset: o, data: model.subarray(o, Math.min(end, o + MAX_CHUNK_BYTES)) } };
  },
  async uploadUpdate(reqs) {
    let n = 0;
    for await (const r of reqs) n += r.chunk?.data.length ?? 0;
    return { round: 1, receivedBytes: n, sha256: '', committed: false };
  },
};
const grpc = await startGrpcServer({
  host: '127.0.0.1',
  port: 0,
  tls: material,
  handlers,
  logger: silentLogger,
  maxStreamsPerClient: 16,
});
process.once('SIGTERM', () => process.exit(0));
const portOf = (srv: tls.Server | http2.Http2SecureServer): number =>
  (srv.address() as { port: number }).port;
process.stdout.write(JSON.stringify({ raw: portOf(raw), http2: portOf(h2), grpc: grpc.port }) + '\n');
