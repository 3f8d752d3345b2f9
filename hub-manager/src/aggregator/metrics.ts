/**
 * The aggregator's Prometheus instruments. Kept out of the core: `instrumentHandlers` wraps the
 * gRPC handlers (bytes, streams, accepted/rejected updates) and `observeState` reads each saved
 * JobState (rounds, per-client last-seen), so the core itself has no metric calls.
 * Labels: cluster names (bounded by the placement), method names and gRPC status names; never
 * round numbers.
 */
import { DataPlaneError } from '@ocm-fl/common/dataplane/errors.js';
import {
  Counter,
  Gauge,
  Histogram,
  newMetricsRegistry,
  STEP_SECONDS_BUCKETS,
  type Registry,
} from '@ocm-fl/common/metrics/registry.js';
import type { Handlers } from './grpc-server.js';
import type { JobState } from './state-store.js';

const reasonOf = (e: unknown): string => (e instanceof DataPlaneError ? e.status : 'INTERNAL');

export class AggregatorMetrics {
  readonly registry: Registry = newMetricsRegistry();
  private readonly r = { registers: [this.registry] };
  private readonly round = new Gauge({
    ...this.r,
    name: 'fl_aggregator_round',
    help: 'Round in progress (completed rounds + 1 while running)',
  });
  private readonly roundsCompleted = new Gauge({
    ...this.r,
    name: 'fl_aggregator_rounds_completed',
    help: 'Rounds aggregated so far',
  });
  private readonly roundSeconds = new Histogram({
    ...this.r,
    name: 'fl_aggregator_round_duration_seconds',
    help: 'Time from a round opening to its close, by outcome (aggregated, retry, failed)',
    labelNames: ['outcome'],
    buckets: STEP_SECONDS_BUCKETS,
  });
  private readonly accepted = new Counter({
    ...this.r,
    name: 'fl_aggregator_updates_accepted_total',
    help: 'Model updates verified and counted, by cluster',
    labelNames: ['cluster'],
  });
  private readonly rejected = new Counter({
    ...this.r,
    name: 'fl_aggregator_updates_rejected_total',
    help: 'Update uploads (offset query or stream) and metric reports refused, by gRPC status',
    labelNames: ['reason'],
  });
  private readonly received = new Counter({
    ...this.r,
    name: 'fl_aggregator_received_bytes_total',
    help: 'Update bytes received and folded into the running aggregate, by cluster (rate = fold throughput)',
    labelNames: ['cluster'],
  });
  private readonly sent = new Counter({
    ...this.r,
    name: 'fl_aggregator_sent_bytes_total',
    help: 'Global-model bytes streamed to clients, by cluster',
    labelNames: ['cluster'],
  });
  private readonly streams = new Gauge({
    ...this.r,
    name: 'fl_aggregator_active_streams',
    help: 'Calls in progress, by method',
    labelNames: ['method'],
  });
  private readonly uploadSeconds = new Histogram({
    ...this.r,
    name: 'fl_aggregator_upload_duration_seconds',
    help: 'Time one committed upload stream took (receive, hash and fold)',
    buckets: STEP_SECONDS_BUCKETS,
  });
  private readonly lastSeen = new Gauge({
    ...this.r,
    name: 'fl_aggregator_client_last_seen_timestamp_seconds',
    help: 'Unix time the aggregator last heard from a cluster',
    labelNames: ['cluster'],
  });
  private readonly lastRoundMetric = new Gauge({
    ...this.r,
    name: 'fl_aggregator_last_round_metric',
    help: "The newest aggregated round's metrics as the trainers report them (e.g. accuracy, loss)",
    labelNames: ['metric'],
  });
  private historySeen = -1;

  /** Called with every saved state: rounds, round durations (once per closed attempt), last-seen. */
  observeState(s: JobState): void {
    this.round.set(s.phase === 'running' ? Math.min(s.completedRounds + 1, s.rounds) : s.completedRounds);
    this.roundsCompleted.set(s.completedRounds);
    // A resumed job's earlier history was observed by the previous process.
    if (this.historySeen < 0) this.historySeen = s.history.length;
    for (const h of s.history.slice(this.historySeen))
      this.roundSeconds.observe({ outcome: h.outcome }, h.durationMs / 1000);
    this.historySeen = s.history.length;
    const last = s.history.filter((h) => h.outcome === 'aggregated').at(-1);
    // Bounded: a trainer reports at most 64 metric names (spoke-agent TRAINER.md).
    for (const [k, v] of Object.entries(last?.metrics ?? {})) this.lastRoundMetric.set({ metric: k }, v);
    for (const [cluster, c] of Object.entries(s.clients)) {
      const t = Date.parse(c.lastSeen);
      if (Number.isFinite(t)) this.lastSeen.set({ cluster }, t / 1000);
    }
  }

  private tracked<T>(method: string, p: Promise<T>): Promise<T> {
    this.streams.inc({ method });
    return p.finally(() => this.streams.dec({ method }));
  }

  /** The same handlers, counting what passes through them. */
  instrumentHandlers(h: Handlers): Handlers {
    const m = {
      streams: this.streams,
      sent: this.sent,
      received: this.received,
      accepted: this.accepted,
      rejected: this.rejected,
      uploadSeconds: this.uploadSeconds,
    };
    return {
      ...h,
      downloadModel: (req, peer, signal) =>
        (async function* () {
          m.streams.inc({ method: 'DownloadModel' });
          try {
            for await (const msg of h.downloadModel(req, peer, signal)) {
              const n = msg.chunk?.data?.length ?? 0;
              if (n) m.sent.inc({ cluster: peer.cluster }, n);
              yield msg;
            }
          } finally {
            m.streams.dec({ method: 'DownloadModel' });
          }
        })(),
      uploadUpdate: (reqs, peer, signal) => {
        const started = performance.now();
        const counted = (async function* () {
          for await (const r of reqs) {
            const n = r.chunk?.data?.length ?? 0;
            if (n) m.received.inc({ cluster: peer.cluster }, n);
            yield r;
          }
        })();
        return this.tracked('UploadUpdate', h.uploadUpdate(counted, peer, signal)).then(
          (res) => {
            if (res.committed) {
              m.accepted.inc({ cluster: peer.cluster });
              m.uploadSeconds.observe((performance.now() - started) / 1000);
            }
            return res;
          },
          (e: unknown) => {
            if (!signal.aborted) m.rejected.inc({ reason: reasonOf(e) });
            throw e;
          },
        );
      },
      // Where a resumable upload starts: a refusal here is an update refused before its bytes.
      getUploadOffset: (req, peer, signal) =>
        h.getUploadOffset(req, peer, signal).catch((e: unknown) => {
          m.rejected.inc({ reason: reasonOf(e) });
          throw e;
        }),
      reportMetrics: (req, peer, signal) =>
        h.reportMetrics(req, peer, signal).catch((e: unknown) => {
          m.rejected.inc({ reason: reasonOf(e) });
          throw e;
        }),
    };
  }
}
