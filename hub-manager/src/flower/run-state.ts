/**
 * A Flower run's progress as the aggregator's JobState (the state the FL controller already
 * reads from `<name>-aggregator-state`), built only from what the run did. Pure.
 *
 * Sources:
 *  - the ServerApp's status hook (docs/flower.md): one JSON line per aggregated round
 *    (`nodeIds`, `examplesByNode`, `metrics`) and one at the end (`completed` with the model's
 *    SHA-256, or `failed` with a reason);
 *  - node IDs → clusters from the gateway's key registry (a node ID is only ever issued for a
 *    key first seen on that cluster's mTLS connection, so the ServerApp cannot name a cluster);
 *  - the SuperLink's own verdict on the run (`flwr ls --run-id … --format json`: status
 *    `finished:completed|failed|stopped` and its details), written when the run ended.
 * `completed` needs both the hook's completion and Flower's `finished:completed`.
 */
import type { ClientStatus, JobState, RoundRecord } from '../aggregator/state-store.js';

export interface HookEvent {
  event: 'round' | 'completed' | 'failed';
  round?: number;
  nodeIds?: string[];
  examplesByNode?: Record<string, number>;
  examples?: number;
  failures?: number;
  metrics?: Record<string, number>;
  modelSha256?: string;
  modelSize?: number;
  reason?: string;
}

/** The run as the SuperLink reports it, once it ended. */
export interface RunOutcome {
  status: string;
  details?: string;
}

export interface RunStateInput {
  jobId: string;
  rounds: number;
  events: readonly HookEvent[];
  /** nodeId → cluster. */
  nodes: Readonly<Record<string, string>>;
  run?: RunOutcome;
  now: Date;
}

/** Parse the hook file; malformed lines are skipped (and counted), never fatal. */
export function parseHookEvents(text: string): { events: HookEvent[]; malformed: number } {
  const events: HookEvent[] = [];
  let malformed = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as HookEvent;
      if (e && (e.event === 'round' || e.event === 'completed' || e.event === 'failed')) events.push(e);
      else malformed++;
    } catch {
      malformed++;
    }
  }
  return { events, malformed };
}

const clusterOf = (nodes: Readonly<Record<string, string>>, id: string): string =>
  nodes[String(id)] ?? `node-${id}`;

function historyOf(i: RunStateInput, rounds: readonly HookEvent[], finalSha: string): RoundRecord[] {
  const at = i.now.toISOString();
  return rounds.map((e, k) => ({
    round: e.round ?? 0,
    attempt: 0,
    participants: (e.nodeIds ?? []).map((n) => clusterOf(i.nodes, n)).sort(),
    failed: [],
    stragglers: [],
    examples: e.examples ?? 0,
    metrics: { ...(e.metrics ?? {}) },
    durationMs: 0,
    // Flower keeps intermediate models in memory; only the final one is stored and hashed.
    sha256: k === rounds.length - 1 ? finalSha : '',
    outcome: 'aggregated',
    closedAt: at,
  }));
}

function clientsOf(i: RunStateInput, rounds: readonly HookEvent[]): Record<string, ClientStatus> {
  const at = i.now.toISOString();
  const clients: Record<string, ClientStatus> = {};
  for (const cluster of Object.values(i.nodes))
    clients[cluster] = { state: 'joined', round: 0, lastSeen: at };
  for (const e of rounds)
    for (const n of e.nodeIds ?? []) {
      const examples = e.examplesByNode?.[n];
      clients[clusterOf(i.nodes, n)] = {
        state: 'submitted',
        round: e.round ?? 0,
        lastSeen: at,
        ...(examples !== undefined ? { examples } : {}),
      };
    }
  return clients;
}

/** Phase and message from the hook's end event and Flower's own verdict. */
function verdict(
  i: RunStateInput,
  done: number,
  completed?: HookEvent,
): { phase: JobState['phase']; message: string } {
  const hookFailed = i.events.find((e) => e.event === 'failed');
  const run = i.run;
  const flowerFailed = run !== undefined && run.status !== 'finished:completed';
  if (hookFailed || flowerFailed) {
    const details = run?.details && run.details !== 'N/A' ? `: ${run.details}` : '';
    const why = [flowerFailed ? `Flower run ${run.status}${details}` : '', hookFailed?.reason ?? ''];
    return { phase: 'failed', message: why.filter(Boolean).join('; ') };
  }
  if (run && !completed)
    return {
      phase: 'failed',
      message:
        'the Flower run finished but the ServerApp never reported completion (status hook, FL_EVENTS_FILE)',
    };
  if (completed && run) return { phase: 'completed', message: `${done} rounds` };
  return { phase: 'running', message: `${done} of ${i.rounds} rounds` };
}

export function flowerJobState(i: RunStateInput): JobState {
  const rounds = i.events.filter((e) => e.event === 'round' && typeof e.round === 'number');
  const completed = i.events.find((e) => e.event === 'completed');
  const history = historyOf(i, rounds, completed?.modelSha256 ?? '');
  return {
    jobId: i.jobId,
    rounds: i.rounds,
    completedRounds: history.length,
    modelSha256: completed?.modelSha256 ?? '',
    modelSize: completed?.modelSize ?? 0,
    history,
    clients: clientsOf(i, rounds),
    updatedAt: i.now.toISOString(),
    ...verdict(i, history.length, completed),
  };
}

/** The SuperLink's verdict from `flwr ls --run-id <id> --format json` output. */
export function parseRunOutcome(json: string): RunOutcome | undefined {
  try {
    const r = JSON.parse(json) as { runs?: { status?: string; 'status-details'?: string }[] };
    const run = r.runs?.[0];
    if (!run?.status?.startsWith('finished')) return undefined;
    return { status: run.status, ...(run['status-details'] ? { details: run['status-details'] } : {}) };
  } catch {
    return undefined;
  }
}
