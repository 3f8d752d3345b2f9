import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { startCutProxy } from '@ocm-fl/common/dataplane/test-cut-proxy.js';
import { createHarness, makeTensors, statusOf } from './test-harness.js';
import { startAggregator } from './main.js';

// ~3.2 MiB: three ranged streams of about 1 MiB each; the F16 tensor puts NaN checks in a late range.
const SPEC: Array<[string, 'F32' | 'F16', number[]]> = [
  ['w', 'F32', [1024, 768]],
  ['h', 'F16', [300, 300]],
];
const PARALLEL = { streams: 3, minBytes: 0 };

describe('transfers split into parallel byte ranges', () => {
  const h = createHarness();
  const initial = h.writeModel('initial.safetensors', makeTensors(SPEC, 0));
  const update = h.writeModel('u.safetensors', makeTensors(SPEC, 1));
  h.clientCert('c1');

  it('downloads over several connections and resumes each range after a cut', async () => {
    const agg = await startAggregator(h.config({ storageDir: path.join(h.dir, 's1') }), {
      logger: silentLogger,
    });
    const proxy = await startCutProxy({
      target: { host: '127.0.0.1', port: agg.port },
      afterBytes: 700_000,
      direction: 'down',
    });
    try {
      const c = h.client(agg.port, 'c1', { endpoint: `127.0.0.1:${proxy.port}`, parallel: PARALLEL });
      const dest = path.join(h.dir, 'dl', 'model.safetensors');
      const r = await c.downloadModel(1, dest);
      expect(proxy.cuts).toBeGreaterThanOrEqual(1);
      expect(proxy.connections).toBeGreaterThanOrEqual(3);
      expect(r.attempts).toBeGreaterThanOrEqual(2);
      expect(readFileSync(dest).equals(readFileSync(initial))).toBe(true);
      c.close();
    } finally {
      await proxy.close();
      await agg.close();
    }
  });

  it('uploads ranges in parallel, resumes the missing ones after a cut, and counts the update once', async () => {
    const agg = await startAggregator(
      h.config({ storageDir: path.join(h.dir, 's2'), admittedClusters: ['c1'], rounds: 1 }),
      { logger: silentLogger },
    );
    const proxy = await startCutProxy({
      target: { host: '127.0.0.1', port: agg.port },
      afterBytes: 700_000,
      direction: 'up',
    });
    try {
      const c = h.client(agg.port, 'c1', { endpoint: `127.0.0.1:${proxy.port}`, parallel: PARALLEL });
      const r = await c.uploadUpdate(1, update, 7, { loss: 0.5 });
      expect(r.committed).toBe(true);
      expect(proxy.cuts).toBeGreaterThanOrEqual(1);
      expect(proxy.connections).toBeGreaterThanOrEqual(3);
      expect(r.attempts).toBeGreaterThanOrEqual(2);
      const s = await agg.whenDone();
      expect(s.phase).toBe('completed');
      // One update with weight 7: the new model is that update exactly.
      expect(
        readFileSync(path.join(agg.storageDir, 'final.safetensors'))
          .subarray(8)
          .equals(readFileSync(update).subarray(8)),
      ).toBe(true);
      c.close();
    } finally {
      await proxy.close();
      await agg.close();
    }
  });

  it('refuses a NaN in a late range after all ranges arrived, and accepts a good update afterwards', async () => {
    const agg = await startAggregator(
      h.config({ storageDir: path.join(h.dir, 's3'), admittedClusters: ['c1'], rounds: 1 }),
      { logger: silentLogger },
    );
    try {
      const c = h.client(agg.port, 'c1', { parallel: PARALLEL });
      const bad = makeTensors(SPEC, 2);
      bad[1]!.values[89_999] = NaN; // last element of the file
      expect(await statusOf(c.uploadUpdate(1, h.writeModel('nan.safetensors', bad), 3, {}))).toBe(
        'INVALID_ARGUMENT',
      );
      expect((await c.getTask()).submitted).toBe(false);
      const r = await c.uploadUpdate(1, update, 3, {});
      expect(r.committed).toBe(true);
      await agg.whenDone();
      expect(
        readFileSync(path.join(agg.storageDir, 'final.safetensors'))
          .subarray(8)
          .equals(readFileSync(update).subarray(8)),
      ).toBe(true);
      c.close();
    } finally {
      await agg.close();
    }
  });
});
