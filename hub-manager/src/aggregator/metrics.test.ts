/**
 * The aggregator's /metrics after one real round over mTLS gRPC (two updates accepted, one
 * from a cluster outside the job refused), scraped over HTTP and read with the Prometheus
 * project's exposition-format parser.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import {
  expectConventionalNames,
  family,
  sample,
  scrape,
} from '@ocm-fl/common/metrics/exposition.test-helpers.js';
import type { Aggregator } from './main.js';
import { makeTensors, MIXED_SPEC, startHarnessAggregator, statusOf, type Harness } from './test-harness.js';

let h: Harness;
let agg: Aggregator;
beforeAll(async () => {
  ({ h, agg } = await startHarnessAggregator(
    { admittedClusters: ['c1', 'c2'], minClients: 2, rounds: 2 },
    { metricsListen: { host: '127.0.0.1', port: 0 } },
  ));
});
afterAll(async () => {
  await agg.close();
});

async function waitFor(ok: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('aggregator /metrics', () => {
  it('counts bytes, accepted and rejected updates, rounds and last-seen per cluster', async () => {
    const c1 = h.client(agg.port, 'c1');
    const c2 = h.client(agg.port, 'c2');
    const outsider = h.client(agg.port, 'c9', { retries: 0 });
    await c1.join();
    await c2.join();
    const dl = await c1.downloadModel(1, path.join(h.dir, 'c1', 'model.safetensors'));
    const f1 = h.writeModel('u1.safetensors', makeTensors(MIXED_SPEC, 1));
    const f2 = h.writeModel('u2.safetensors', makeTensors(MIXED_SPEC, 2));
    const refused = await statusOf(outsider.uploadUpdate(1, f1, 10, {}));
    expect(refused).not.toBe('OK');
    await c1.uploadUpdate(1, f1, 10, { loss: 1 });
    await c2.uploadUpdate(1, f2, 30, { loss: 3 });
    await waitFor(() => agg.state().completedRounds === 1);

    expect(agg.metricsPort).toBeDefined();
    const m = await scrape(`http://127.0.0.1:${agg.metricsPort}/metrics`);
    expect(sample(family(m, 'fl_aggregator_round', 'GAUGE'))).toBe(2);
    expect(sample(family(m, 'fl_aggregator_rounds_completed', 'GAUGE'))).toBe(1);
    // loss 1 (10 examples) and 3 (30 examples): weighted mean 2.5.
    expect(
      sample(family(m, 'fl_aggregator_last_round_metric', 'GAUGE', ['metric']), { metric: 'loss' }),
    ).toBe(2.5);
    const rounds = family(m, 'fl_aggregator_round_duration_seconds', 'HISTOGRAM', ['outcome']);
    expect(sample(rounds, { outcome: 'aggregated' })).toBe(1);
    const accepted = family(m, 'fl_aggregator_updates_accepted_total', 'COUNTER', ['cluster']);
    expect(sample(accepted, { cluster: 'c1' })).toBe(1);
    expect(sample(accepted, { cluster: 'c2' })).toBe(1);
    expect(
      sample(family(m, 'fl_aggregator_updates_rejected_total', 'COUNTER', ['reason']), { reason: refused }),
    ).toBe(1);
    const received = family(m, 'fl_aggregator_received_bytes_total', 'COUNTER', ['cluster']);
    expect(sample(received, { cluster: 'c1' })).toBeGreaterThan(0);
    expect(
      sample(family(m, 'fl_aggregator_sent_bytes_total', 'COUNTER', ['cluster']), { cluster: 'c1' }),
    ).toBe(dl.size);
    expect(sample(family(m, 'fl_aggregator_upload_duration_seconds', 'HISTOGRAM'))).toBe(2);
    family(m, 'fl_aggregator_active_streams', 'GAUGE', ['method']);
    const seen = family(m, 'fl_aggregator_client_last_seen_timestamp_seconds', 'GAUGE', ['cluster']);
    expect(Math.abs((sample(seen, { cluster: 'c2' }) ?? 0) - Date.now() / 1000)).toBeLessThan(600);
    // Bounded labels: no series is keyed by a round number.
    for (const f of m.values())
      for (const s of f.metrics) expect(Object.keys(s.labels)).not.toContain('round');
    family(m, 'process_resident_memory_bytes', 'GAUGE');
    expectConventionalNames(m, 'fl_aggregator_');
  }, 90_000);
});
