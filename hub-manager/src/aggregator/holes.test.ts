/**
 * The holes an independent, hostile client found (issue 15, item 4), each driven over real mTLS
 * with a raw gRPC client (rawClient below, a test double that sends what the library never would).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it, expect, afterEach } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import winston from 'winston';
import { Writable } from 'node:stream';
import { loadAggregatorProto, MAX_CHUNK_BYTES } from '@ocm-fl/proto/load.js';
import type { AggregatorClient } from '@ocm-fl/proto/generated/federatedlearning/v1/Aggregator.js';
import { silentLogger, type Logger } from '@ocm-fl/common/logger.js';
import {
  createHarness,
  makeTensors,
  MIXED_SPEC,
  statusOf,
  startHarnessAggregator,
  type Harness,
} from './test-harness.js';
import { runAggregate } from '../aggregate-command.js';
import { toServiceError } from './grpc-server.js';

/** TEST DOUBLE: a bare generated gRPC stub for `cluster`, sending whatever the test says. */
function rawClient(h: Harness, port: number, cluster: string): AggregatorClient {
  const cert = h.clientCert(cluster);
  const Ctor = loadAggregatorProto().federatedlearning.v1.Aggregator;
  return new Ctor(
    `127.0.0.1:${port}`,
    grpc.credentials.createSsl(Buffer.from(h.ca.certPem), cert.key, cert.cert),
    { 'grpc.ssl_target_name_override': 'localhost', 'grpc.use_local_subchannel_pool': 1 },
  );
}

type Upload = { header?: Record<string, unknown>; chunk?: { offset: number; data: Buffer } };

/** One UploadUpdate call with exactly these messages; resolves to the status name. */
function rawUpload(c: AggregatorClient, msgs: Upload[]): Promise<{ status: string; details: string }> {
  return new Promise((resolve) => {
    const call = c.UploadUpdate((err) =>
      resolve(err ? { status: grpc.status[err.code], details: err.details } : { status: 'OK', details: '' }),
    );
    for (const m of msgs) call.write(m);
    call.end();
  });
}

function unary<Req, Res>(
  fn: (req: Req, cb: (e: grpc.ServiceError | null, r?: Res) => void) => unknown,
  req: Req,
): Promise<string> {
  return new Promise((resolve) => fn(req, (e) => resolve(e ? grpc.status[e.code] : 'OK')));
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function waitFor<T>(get: () => T, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = get();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`condition not met: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('download streams a client does not read', () => {
  it('holds a call slot until the stream ends, refuses streams past the cap and bounds buffered bytes', async () => {
    const h = createHarness();
    // A 3 MiB model, as in the report: small enough that grpc-js would queue it whole.
    h.writeModel('initial.safetensors', makeTensors([['w', 'F32', [3 * 262_144]]], 0));
    const perCluster = 2 * (MAX_CHUNK_BYTES + 64 * 1024);
    const { startAggregator } = await import('./main.js');
    const agg = await startAggregator(
      h.config({ maxStreamsPerClient: 8, sendBufferBytes: { perCluster, total: 4 * perCluster } }),
      { logger: silentLogger },
    );
    cleanup.push(() => agg.close(100));
    const c = rawClient(h, agg.port, 'c1');
    cleanup.push(() => c.close());
    const outcomes: string[] = [];
    const calls: grpc.ClientReadableStream<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      const call = c.DownloadModel({ jobId: 'job-1', round: 0 });
      calls.push(call);
      let seen = false;
      call.on('data', () => {
        if (seen) return;
        seen = true;
        call.pause(); // read the header, then nothing more
        outcomes.push('header');
      });
      call.on('error', (e: grpc.ServiceError) => outcomes.push(grpc.status[e.code]));
    }
    cleanup.push(() => calls.forEach((x) => x.cancel()));
    await waitFor(
      () => outcomes.length,
      (n) => n === 20,
    );
    expect(outcomes.filter((o) => o === 'header')).toHaveLength(8);
    expect(outcomes.filter((o) => o === 'RESOURCE_EXHAUSTED')).toHaveLength(12);
    // Give the server every chance to queue more than it may.
    await new Promise((r) => setTimeout(r, 500));
    const s = agg.stats();
    // At most the cap stays open (fewer if the client's HTTP/2 window swallowed a whole model).
    expect(s.openCalls.c1 ?? 0).toBeLessThanOrEqual(8);
    expect(s.sendBuffer.byCluster.c1 ?? 0).toBeLessThanOrEqual(perCluster);
    expect(s.sendBuffer.total).toBeLessThanOrEqual(4 * perCluster);
    // Another cluster is not starved by c1's stalled streams.
    const c2 = h.client(agg.port, 'c2');
    cleanup.push(() => c2.close());
    const dl = await c2.downloadModel(1, path.join(h.dir, 'c2.safetensors'));
    expect(dl.size).toBe(readFileSync(path.join(h.dir, 'initial.safetensors')).length);
    // Cancelling frees the slots.
    calls.forEach((x) => x.cancel());
    await waitFor(
      () => agg.stats().openCalls.c1 ?? 0,
      (n) => n === 0,
    );
    expect(await unary(c.Heartbeat.bind(c), { jobId: 'job-1', round: 1 })).toBe('OK');
  }, 60_000);
});

describe('malformed uploads', () => {
  it('refuses a chunk larger than max_chunk_bytes with INVALID_ARGUMENT and marks the client rejected', async () => {
    const h = createHarness();
    // 1.03 MiB of data: a valid update that fits one message under the receive limit.
    const spec: Array<[string, 'F32', number[]]> = [['w', 'F32', [270_000]]];
    h.writeModel('initial.safetensors', makeTensors(spec, 0));
    const { startAggregator } = await import('./main.js');
    const agg = await startAggregator(h.config({ admittedClusters: ['c1'], rounds: 1 }), {
      logger: silentLogger,
    });
    cleanup.push(() => agg.close(100));
    const c = rawClient(h, agg.port, 'c1');
    cleanup.push(() => c.close());
    const file = readFileSync(h.writeModel('u.safetensors', makeTensors(spec, 1)));
    expect(file.length).toBeGreaterThan(MAX_CHUNK_BYTES);
    const res = await rawUpload(c, [
      { header: { jobId: 'job-1', round: 1, examples: 5, size: file.length, sha256: sha(file), offset: 0 } },
      { chunk: { offset: 0, data: file } },
    ]);
    expect(res.status).toBe('INVALID_ARGUMENT');
    expect(res.details).toMatch(/max_chunk_bytes/);
    expect(agg.state().clients.c1).toMatchObject({ state: 'rejected' });
    expect(agg.state().completedRounds).toBe(0);
  }, 30_000);

  it('refuses a safetensors header that runs past the end of the file with INVALID_ARGUMENT and logs it', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const { h, agg } = await startHarnessAggregator(
      { admittedClusters: ['c1'], rounds: 1 },
      { logger: capturingLogger(lines) },
    );
    cleanup.push(() => agg.close(100));
    const c = rawClient(h, agg.port, 'c1');
    cleanup.push(() => c.close());
    const file = Buffer.alloc(108);
    file.writeBigUInt64LE(1000n, 0);
    file.write('{"a":', 8);
    const res = await rawUpload(c, [
      { header: { jobId: 'job-1', round: 1, examples: 5, size: file.length, sha256: sha(file), offset: 0 } },
      { chunk: { offset: 0, data: file } },
    ]);
    expect(res.status).toBe('INVALID_ARGUMENT');
    expect(res.details).toMatch(/runs past the end/);
    expect(agg.state().clients.c1).toMatchObject({ state: 'rejected' });
    expect(lines.some((l) => l.level === 'warn' && /refused/.test(String(l.message)))).toBe(true);
  }, 30_000);
});

describe('ReportMetrics', () => {
  it('is all-or-nothing and keeps the metrics of the cluster whose update closed the round', async () => {
    const { h, agg } = await startHarnessAggregator({
      admittedClusters: ['c1', 'c2'],
      minClients: 2,
      rounds: 2,
    });
    cleanup.push(() => agg.close(100));
    const c1 = h.client(agg.port, 'c1');
    const c2 = h.client(agg.port, 'c2');
    const raw = rawClient(h, agg.port, 'c1');
    cleanup.push(() => (c1.close(), c2.close(), raw.close()));
    await c1.uploadUpdate(1, h.writeModel('u1.safetensors', makeTensors(MIXED_SPEC, 1)), 10, { loss: 1 });
    expect(
      await unary(raw.ReportMetrics.bind(raw), { jobId: 'job-1', round: 1, metrics: { good: 1, bad: NaN } }),
    ).toBe('INVALID_ARGUMENT');
    await c1.reportMetrics(1, { evalAccuracy: 0.5 });
    // c2's upload closes round 1; its report comes after, as it always does.
    await c2.uploadUpdate(1, h.writeModel('u2.safetensors', makeTensors(MIXED_SPEC, 2)), 30, { loss: 3 });
    expect(await statusOf(c2.reportMetrics(1, { evalAccuracy: 0.9 }))).toBe('OK');
    const s = await waitFor(
      () => agg.state(),
      (st) => st.history[0]?.metrics.evalAccuracy !== undefined && st.history[0].metrics.evalAccuracy > 0.6,
    );
    expect(s.history[0]!.metrics.evalAccuracy).toBeCloseTo((0.5 * 10 + 0.9 * 30) / 40, 10);
    expect(s.history[0]!.metrics).not.toHaveProperty('good');
    // A round two back, or one the cluster did not send to, is refused.
    expect(await statusOf(c2.reportMetrics(7, { x: 1 }))).toBe('FAILED_PRECONDITION');
  }, 30_000);
});

/** TEST DOUBLE: a logger whose lines land in `lines`. */
function capturingLogger(lines: Array<Record<string, unknown>>): Logger {
  const stream = new Writable({
    objectMode: true,
    write(info: Record<string, unknown>, _enc, next) {
      lines.push(info);
      next();
    },
  });
  return winston.createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream })] });
}

describe('client cancellation', () => {
  it('maps a handler failure on a cancelled call to CANCELLED at debug level', () => {
    const lines: Array<Record<string, unknown>> = [];
    const ac = new AbortController();
    ac.abort();
    const st = toServiceError(
      new Error('Premature close'),
      capturingLogger(lines),
      'UploadUpdate',
      ac.signal,
    );
    expect(st.code).toBe(grpc.status.CANCELLED);
    expect(lines.map((l) => l.level)).toEqual(['debug']);
    // Not cancelled: still an error worth a line.
    toServiceError(
      new Error('disk full'),
      capturingLogger(lines),
      'UploadUpdate',
      new AbortController().signal,
    );
    expect(lines.map((l) => l.level)).toEqual(['debug', 'error']);
  });

  it('is not logged at error level', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const { h, agg } = await startHarnessAggregator(
      { admittedClusters: ['c1'] },
      { logger: capturingLogger(lines) },
    );
    cleanup.push(() => agg.close(100));
    const c = rawClient(h, agg.port, 'c1');
    cleanup.push(() => c.close());
    const file = readFileSync(h.writeModel('u.safetensors', makeTensors(MIXED_SPEC, 1)));
    const done = new Promise<string>((resolve) => {
      const call = c.UploadUpdate((err) => resolve(err ? grpc.status[err.code] : 'OK'));
      call.write({
        header: { jobId: 'job-1', round: 1, examples: 5, size: file.length, sha256: sha(file), offset: 0 },
      });
      call.write({ chunk: { offset: 0, data: file.subarray(0, 100) } });
      setTimeout(() => call.cancel(), 300);
    });
    expect(await done).toBe('CANCELLED');
    await new Promise((r) => setTimeout(r, 300));
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  }, 30_000);
});

describe('hub-manager aggregate after the job ends', () => {
  it('keeps serving the final state until every client was told, then exits 0', async () => {
    const h = createHarness();
    h.writeModel('initial.safetensors', makeTensors(MIXED_SPEC, 0));
    const configFile = path.join(h.dir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({ ...h.config({ rounds: 1, minClients: 2 }), finalGraceSeconds: 120 }),
    );
    let port = 0;
    let exit: number | undefined;
    const run = runAggregate(configFile, {}, { logger: silentLogger, onListening: (p) => (port = p) }).then(
      (code) => (exit = code),
    );
    await waitFor(
      () => port,
      (p) => p > 0,
    );
    const c1 = h.client(port, 'c1');
    const c2 = h.client(port, 'c2');
    cleanup.push(() => (c1.close(), c2.close()));
    await c1.uploadUpdate(1, h.writeModel('u1.safetensors', makeTensors(MIXED_SPEC, 1)), 10, {});
    await c2.uploadUpdate(1, h.writeModel('u2.safetensors', makeTensors(MIXED_SPEC, 2)), 10, {});
    let t1 = await c1.getTask();
    while (!t1.finished) t1 = await c1.getTask({ wait: { afterRound: 1, seconds: 5 } });
    expect(t1).toMatchObject({ finished: true, phase: 'completed' });
    const dl = await c1.downloadModel(0, path.join(h.dir, 'final.safetensors'));
    expect(dl.sha256).toBe(t1.model?.sha256);
    await new Promise((r) => setTimeout(r, 300));
    expect(exit).toBeUndefined(); // c2 has not been told yet
    expect(await c2.getTask()).toMatchObject({ finished: true });
    await run;
    expect(exit).toBe(0);
  }, 60_000);
});
