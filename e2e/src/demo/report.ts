/** What the demo prints and writes, computed from the FederatedLearning status (pure). */
import type { FederatedLearning } from '@ocm-fl/common/api/federated-learning.js';

export interface DemoSummary {
  phase: string;
  message?: string;
  rounds: number;
  clusters: string[];
  accuracy: number | null;
  /** Recall per digit on the held-out set, index = digit. */
  perClassAccuracy: (number | null)[];
  roundSeconds: number[];
  roundMetrics: {
    round: number;
    participants: string[];
    examples?: number;
    metrics?: Record<string, number>;
  }[];
  modelLocation?: string;
  modelDigest?: string;
  totalSeconds: number;
}

const fmt = (n: number | null | undefined, digits = 3): string =>
  n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);

export function summarize(
  fl: FederatedLearning,
  clusters: readonly string[],
  totalSeconds: number,
): DemoSummary {
  const s = fl.status ?? {};
  const rounds = s.rounds ?? [];
  const per = s.evaluation?.perClassAccuracy ?? {};
  const perClassAccuracy = Array.from({ length: 10 }, (_, d) => per[String(d)] ?? null);
  return {
    phase: s.phase ?? 'Unknown',
    ...(s.message ? { message: s.message } : {}),
    rounds: rounds.length,
    clusters: [...clusters],
    accuracy: s.evaluation?.accuracy ?? null,
    perClassAccuracy,
    roundSeconds: rounds.map((r) => Number((r.durationSeconds ?? 0).toFixed(2))),
    roundMetrics: rounds.map((r) => ({
      round: r.round,
      participants: r.participants,
      ...(r.examples !== undefined ? { examples: r.examples } : {}),
      ...(r.metrics ? { metrics: r.metrics } : {}),
    })),
    ...(s.model?.location ? { modelLocation: s.model.location } : {}),
    ...(s.model?.digest ? { modelDigest: s.model.digest } : {}),
    totalSeconds: Number(totalSeconds.toFixed(1)),
  };
}

/** One status line: phase, round n/total, clients, last metric. */
export function formatProgress(fl: FederatedLearning): string {
  const s = fl.status ?? {};
  const clients = (s.clients ?? []).map((c) => `${c.cluster}:${c.state}`).join(' ');
  return [
    `  [${s.phase ?? 'Pending'}]`,
    s.roundProgress ? `round ${s.roundProgress}` : '',
    clients,
    s.lastMetric ?? '',
    s.phase === 'Waiting' || s.phase === 'Failed' ? (s.message ?? '') : '',
  ]
    .filter(Boolean)
    .join('  ');
}

export function formatSummary(d: DemoSummary): string {
  const lines = ['', `Result: ${d.phase}${d.message ? ` (${d.message})` : ''} in ${d.totalSeconds}s`, ''];
  lines.push('round  clusters  examples  loss    train-acc  seconds');
  for (const [i, r] of d.roundMetrics.entries()) {
    lines.push(
      [
        String(r.round).padEnd(6),
        String(r.participants.length).padEnd(9),
        String(r.examples ?? '-').padEnd(9),
        fmt(r.metrics?.loss).padEnd(7),
        fmt(r.metrics?.accuracy).padEnd(10),
        fmt(d.roundSeconds[i], 1),
      ].join(' '),
    );
  }
  lines.push('', `held-out accuracy: ${fmt(d.accuracy)}`, 'per-digit recall:');
  lines.push('  ' + d.perClassAccuracy.map((a, digit) => `${digit}:${fmt(a, 2)}`).join('  '));
  return lines.join('\n');
}
