/**
 * TEST FIXTURE ONLY: PKI files, configs and small models for aggregator tests and benchmarks.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { agentCommonName } from '@ocm-fl/common/names.js';
import { encodeSafetensors, type DType, type Tensor } from '@ocm-fl/common/model/safetensors.js';
import {
  createTestCa,
  issueTestCert,
  type TestCa,
  type TestCert,
} from '@ocm-fl/common/dataplane/test-pki.js';
import { connect, type DataPlaneClient } from '@ocm-fl/common/dataplane/client.js';
import { DataPlaneError } from '@ocm-fl/common/dataplane/errors.js';
import type { AggregatorConfig } from './config.js';
import { startAggregator, type Aggregator, type StartOptions } from './main.js';
import { silentLogger } from '@ocm-fl/common/logger.js';

export interface Harness {
  readonly dir: string;
  readonly ca: TestCa;
  readonly server: TestCert;
  config(over: Partial<AggregatorConfig>): AggregatorConfig;
  clientCert(cluster: string): TestCert;
  client(
    port: number,
    cluster: string,
    over?: {
      cert?: TestCert;
      ca?: Buffer;
      retries?: number;
      endpoint?: string;
      parallel?: { streams?: number; minBytes?: number };
    },
  ): DataPlaneClient;
  writeModel(name: string, tensors: readonly Tensor[]): string;
}

export function createHarness(): Harness {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agg-test-'));
  const ca = createTestCa('test-addon-ca');
  const server = issueTestCert(ca, 'aggregator', ['localhost']);
  const files = {
    certFile: path.join(dir, 'tls.crt'),
    keyFile: path.join(dir, 'tls.key'),
    caFile: path.join(dir, 'ca.crt'),
  };
  writeFileSync(files.certFile, server.cert);
  writeFileSync(files.keyFile, server.key);
  writeFileSync(files.caFile, ca.certPem);
  const certs = new Map<string, TestCert>();
  const h: Harness = {
    dir,
    ca,
    server,
    config: (over) => ({
      jobId: 'job-1',
      jobName: 'job-1',
      listen: { host: '127.0.0.1', port: 0 },
      tls: files,
      storageDir: path.join(dir, 'storage'),
      rounds: 2,
      admittedClusters: ['c1', 'c2'],
      minClients: 1,
      roundDeadlineSeconds: 60,
      failurePolicy: { action: 'fail' },
      initialModelPath: path.join(dir, 'initial.safetensors'),
      keepCheckpoints: 2,
      taskConfig: { epochs: '1' },
      heartbeatIntervalSeconds: 10,
      maxStreamsPerClient: 8,
      finalGraceSeconds: 5,
      ...over,
    }),
    clientCert: (cluster) => {
      let c = certs.get(cluster);
      if (!c) certs.set(cluster, (c = issueTestCert(ca, agentCommonName(cluster))));
      return c;
    },
    client: (port, cluster, over = {}) => {
      const cert = over.cert ?? h.clientCert(cluster);
      return connect({
        endpoint: over.endpoint ?? `127.0.0.1:${port}`,
        serverName: 'localhost',
        tls: { cert: cert.cert, key: cert.key, ca: over.ca ?? Buffer.from(ca.certPem) },
        jobId: 'job-1',
        retry: { retries: over.retries ?? 4, baseMs: 50, maxMs: 300 },
        ...(over.parallel ? { parallel: over.parallel } : {}),
      });
    },
    writeModel: (name, tensors) => {
      const p = path.join(dir, name);
      writeFileSync(p, encodeSafetensors(tensors));
      return p;
    },
  };
  return h;
}

/** Deterministic tensors: value = scale · sin(seed + i). */
export function makeTensors(
  spec: ReadonlyArray<[string, DType, number[]]>,
  seed: number,
  scale = 1,
): Tensor[] {
  return spec.map(([name, dtype, shape], k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = scale * Math.sin(seed * 7.1 + k * 3.3 + i * 0.37);
    return { name, dtype, shape, values };
  });
}

export const MIXED_SPEC: ReadonlyArray<[string, DType, number[]]> = [
  ['dense.weight', 'F32', [16, 12]],
  ['dense.bias', 'F16', [12]],
  ['conv.kernel', 'F32', [3, 3, 2, 4]],
  ['emb', 'F16', [33, 5]],
  ['scalar', 'F32', []],
];

/** The gRPC status name a data-plane call ends with: 'OK' or e.g. 'INVALID_ARGUMENT'. */
export async function statusOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    if (e instanceof DataPlaneError) return e.status;
    throw e;
  }
}

/** A fresh harness, the MIXED_SPEC initial model, and a quiet aggregator on it. */
export async function startHarnessAggregator(
  over: Partial<AggregatorConfig> = {},
  opts: StartOptions = {},
): Promise<{ h: Harness; agg: Aggregator }> {
  const h = createHarness();
  h.writeModel('initial.safetensors', makeTensors(MIXED_SPEC, 0));
  const agg = await startAggregator(h.config(over), { logger: silentLogger, ...opts });
  return { h, agg };
}
