/**
 * The FL reconcile decision as a pure function: observed objects in, next status plus the
 * objects to ensure out. The controller (controller.ts) only reads and writes.
 */
import { setCondition, type Condition } from '@ocm-fl/common/api/meta.js';
import {
  FL_CONDITIONS as C,
  type ClientState,
  type ClientStatus,
  type FederatedLearning,
  type FederatedLearningStatus,
  type FlPhase,
  type ListenerStatus,
} from '@ocm-fl/common/api/federated-learning.js';
import type { ManagedCluster, ManagedClusterAddOn, ManifestWork } from '@ocm-fl/common/api/ocm.js';
import { addonAvailable, agentNamespace, claimValue, taskFeedback, type JobOutcome } from './observe.js';
import { lastMetric, roundsFromState, type JobState } from './progress.js';
import type { TaskWorkInput } from './render/task-work.js';
import { clientEvents, conditionEvents } from './transition-events.js';
import type { ResolvedJob, SpecProblem } from './spec.js';

export interface Observed {
  fl: FederatedLearning;
  /** Clusters in the job's PlacementDecisions. */
  decided: readonly string[];
  clusters: ReadonlyMap<string, ManagedCluster>;
  addons: ReadonlyMap<string, ManagedClusterAddOn>;
  works: ReadonlyMap<string, ManifestWork>;
  listeners: readonly ListenerStatus[];
  /** TLS server name tasks verify: the first listener's Service DNS name. */
  serverName: string;
  aggregator: JobOutcome;
  state?: JobState;
  /** The state came from the watched state ConfigMap: its next change triggers a reconcile. */
  stateWatched?: boolean;
  evaluationJob: JobOutcome;
  evaluation?: FederatedLearningStatus['evaluation'];
  /** Where the final model lives, for status.model.location. */
  modelLocation: string;
}

export interface FlEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface Plan {
  status: FederatedLearningStatus;
  /** Ensure Placement + bindings. */
  placement: boolean;
  /** Ensure aggregator objects with these admitted clusters; undefined: leave as is. */
  aggregator?: { admitted: string[] };
  /** Desired task works; every other work of the job is deleted. undefined: leave works alone. */
  works?: TaskWorkInput[];
  evaluation: boolean;
  events: FlEvent[];
  /** Poll again (progress lives in files that raise no watch events). */
  requeueAfterMs?: number;
}

const TERMINAL: readonly FlPhase[] = ['Completed', 'Failed'];
const LIVE_TASK_STATES: Record<string, ClientState> = {
  Pending: 'Pending',
  Downloading: 'Downloading',
  Training: 'Training',
  Uploading: 'Uploading',
  Waiting: 'Waiting',
  Completed: 'Completed',
  Failed: 'Failed',
};

function cond(type: string, ok: boolean, reason: string, message: string, gen?: number): Condition {
  return {
    type,
    status: ok ? 'True' : 'False',
    reason,
    message,
    ...(gen !== undefined ? { observedGeneration: gen } : {}),
  };
}

class StatusBuilder {
  readonly s: FederatedLearningStatus;
  constructor(
    prev: FederatedLearningStatus | undefined,
    private readonly gen: number | undefined,
    private readonly now: Date,
  ) {
    this.s = structuredClone(prev ?? {});
    if (gen !== undefined) this.s.observedGeneration = gen;
  }
  set(type: string, ok: boolean, reason: string, message: string): this {
    this.s.conditions = setCondition(this.s.conditions, cond(type, ok, reason, message, this.gen), this.now);
    return this;
  }
  phase(p: FlPhase, message: string): this {
    this.s.phase = p;
    this.s.message = message;
    return this;
  }
  fail(reason: string, message: string): this {
    this.phase('Failed', message);
    this.set(C.failed, true, reason, message).set(C.succeeded, false, reason, message);
    this.s.completionTime ??= this.now.toISOString();
    return this;
  }
}

function events(
  prev: FederatedLearningStatus | undefined,
  next: FederatedLearningStatus,
  extra: FlEvent[],
  agg?: JobState,
): FlEvent[] {
  const out = [...extra, ...conditionEvents(prev, next), ...clientEvents(prev, next, agg)];
  if (prev?.phase !== next.phase) {
    const reason =
      next.phase === 'Failed'
        ? (next.conditions?.find((c) => c.type === C.failed)?.reason ?? 'Failed')
        : next.phase;
    out.push({
      type: next.phase === 'Failed' ? 'Warning' : 'Normal',
      reason: reason ?? 'Waiting',
      message: next.message ?? '',
    });
  }
  return out;
}

/** Status for a CR whose spec cannot run: terminal, with the reason. */
export function planSpecProblem(fl: FederatedLearning, p: SpecProblem, now = new Date()): Plan {
  const prev = fl.status;
  if (prev?.phase && TERMINAL.includes(prev.phase))
    return { status: prev, placement: false, evaluation: false, events: [] };
  const b = new StatusBuilder(prev, fl.metadata.generation, now).fail(p.reason, p.message);
  return { status: b.s, placement: false, works: [], evaluation: false, events: events(prev, b.s, []) };
}

function waitingMessage(job: ResolvedJob, o: Observed, candidates: string[]): string {
  const unavailable = o.decided.filter((c) => !candidates.includes(c));
  let m = `waiting for clients: ${candidates.length} of ${job.minAvailableClients} required clusters are selected with the federated-learning addon available`;
  if (o.decided.length === 0)
    m += ` (the placement selects no cluster yet from cluster sets ${(job.placement.clusterSets ?? ['global']).join(', ')})`;
  if (unavailable.length > 0) m += `; addon not available on: ${unavailable.join(', ')}`;
  return m;
}

interface Membership {
  clients: ClientStatus[];
  active: string[];
  lostEvents: FlEvent[];
  failure?: { reason: string; message: string };
}

function lossReason(o: Observed, c: string, candidates: readonly string[]): string | undefined {
  if (candidates.includes(c)) {
    const fb = taskFeedback(o.works.get(c));
    return fb.phase === 'Failed'
      ? `task failed: ${fb.lastError ?? fb.message ?? 'no reason given'}`
      : undefined;
  }
  return o.decided.includes(c)
    ? 'federated-learning addon not available'
    : 'no longer selected by the placement';
}

/** Apply the failure policy to the admitted clients. */
function membership(job: ResolvedJob, o: Observed, prev: ClientStatus[], candidates: string[]): Membership {
  const clients = prev.map((c) => ({ ...c }));
  const lostEvents: FlEvent[] = [];
  for (const c of clients) {
    if (c.state === 'Lost' || c.state === 'Failed') continue;
    const why = lossReason(o, c.cluster, candidates);
    if (!why) continue;
    const failedTask = why.startsWith('task failed');
    c.state = failedTask ? 'Failed' : 'Lost';
    c.lastError = why;
    lostEvents.push({ type: 'Warning', reason: 'ClientLost', message: `cluster ${c.cluster}: ${why}` });
  }
  const lost = lostEvents.length > 0;
  if (lost && job.onClientLoss === 'Fail')
    return {
      clients,
      active: [],
      lostEvents,
      failure: { reason: 'ClientLost', message: lostEvents.map((e) => e.message).join('; ') },
    };
  if (job.onClientLoss === 'Replace') {
    // Any decided, available cluster joins (again): a lost cluster that comes back is re-admitted;
    // one whose task failed is not, so a broken cluster cannot flap in and out.
    for (const cl of candidates) {
      const existing = clients.find((c) => c.cluster === cl);
      if (!existing) clients.push({ cluster: cl, state: 'Selected' });
      else if (existing.state === 'Lost')
        Object.assign(existing, { state: 'Selected', lastError: undefined });
    }
  }
  const active = clients
    .filter((c) => c.state !== 'Lost' && c.state !== 'Failed')
    .map((c) => c.cluster)
    .sort();
  if (job.onClientLoss === 'Continue' && active.length < job.minClientsPerRound)
    return {
      clients,
      active,
      lostEvents,
      failure: {
        reason: 'NotEnoughClients',
        message: `${active.length} clients remain, ${job.minClientsPerRound} needed per round`,
      },
    };
  return { clients: clients.sort((a, b) => a.cluster.localeCompare(b.cluster)), active, lostEvents };
}

function clientFromObservations(c: ClientStatus, o: Observed): ClientStatus {
  if (c.state === 'Lost' || c.state === 'Failed') return stripUndefined(c);
  const fb = taskFeedback(o.works.get(c.cluster));
  const agg = o.state?.clients[c.cluster];
  const lastRound = Math.max(fb.round ?? 0, agg?.round ?? 0, c.lastRound ?? 0) || undefined;
  return stripUndefined({
    cluster: c.cluster,
    state: (fb.phase && LIVE_TASK_STATES[fb.phase]) || c.state,
    lastRound,
    examples: agg?.examples ?? fb.examples ?? c.examples,
    lastError:
      fb.lastError ||
      (agg?.state === 'failed' || agg?.state === 'rejected' ? agg.message : undefined) ||
      c.lastError,
  });
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function taskInputs(
  job: ResolvedJob,
  o: Observed,
  active: string[],
  endpoint: ListenerStatus,
): TaskWorkInput[] {
  return active.map((cluster) => ({
    cluster,
    agentNamespace: agentNamespace(o.addons.get(cluster)),
    dataLocation: claimValue(o.clusters.get(cluster), job.dataClaim),
    endpoint: `${endpoint.address}:${endpoint.port}`,
    serverName: o.serverName,
  }));
}

/** Progress, completion and evaluation once the aggregator runs. */
function progress(
  job: ResolvedJob,
  o: Observed,
  b: StatusBuilder,
  now: Date,
): { evaluation: boolean; terminal: boolean } {
  const st = o.state;
  if (st) {
    b.s.rounds = roundsFromState(st);
    b.s.roundProgress = `${st.completedRounds}/${job.rounds}`;
    const metric = lastMetric(b.s.rounds);
    if (metric) b.s.lastMetric = metric;
  }
  if (st?.phase === 'failed') {
    b.fail('AggregationFailed', st.message || 'the aggregator failed the job');
    return { evaluation: false, terminal: true };
  }
  if (o.aggregator === 'Failed' && st?.phase !== 'completed') {
    b.fail('AggregatorFailed', 'the aggregator Job failed (backoff limit reached)');
    return { evaluation: false, terminal: true };
  }
  if (st?.phase !== 'completed') {
    const round = st ? st.completedRounds + 1 : 1;
    b.set(C.training, true, 'RoundInProgress', `round ${Math.min(round, job.rounds)} of ${job.rounds}`);
    b.phase('Running', `training: ${st?.completedRounds ?? 0} of ${job.rounds} rounds done`);
    return { evaluation: false, terminal: false };
  }
  b.s.model = { location: o.modelLocation, ...(st.modelSha256 ? { digest: st.modelSha256 } : {}) };
  b.set(C.training, false, 'RoundsCompleted', `all ${job.rounds} rounds aggregated`);
  const evaluationEnded = o.evaluationJob === 'Failed' || o.evaluationJob === 'Succeeded';
  if (job.evaluation && !o.evaluation && !evaluationEnded) {
    b.set(C.evaluated, false, 'Evaluating', 'evaluating the final model');
    b.phase('Running', `all ${job.rounds} rounds done; evaluating the final model`);
    return { evaluation: true, terminal: false };
  }
  if (o.evaluation) {
    b.s.evaluation = o.evaluation;
    b.s.lastMetric = lastMetric(b.s.rounds ?? [], o.evaluation);
    b.set(C.evaluated, true, 'Evaluated', `accuracy ${o.evaluation.accuracy ?? 'n/a'}`);
  } else if (job.evaluation && o.evaluationJob === 'Succeeded')
    // The Job wrote its result to the job storage, which this hub-manager cannot see.
    b.set(
      C.evaluated,
      false,
      'EvaluationUnreadable',
      'the evaluation Job succeeded but its evaluation.json is not visible to the hub-manager (mount the job storage and set FL_STORAGE_ROOT)',
    );
  else if (job.evaluation) b.set(C.evaluated, false, 'EvaluationFailed', 'the evaluation Job failed');
  b.phase('Completed', `trained ${job.rounds} rounds; model at ${o.modelLocation}`);
  b.set(C.succeeded, true, 'Completed', b.s.message ?? '');
  b.s.completionTime ??= now.toISOString();
  return { evaluation: false, terminal: true };
}

export function planJob(job: ResolvedJob, o: Observed, opts: { pollMs: number; now?: Date }): Plan {
  const now = opts.now ?? new Date();
  const prev = o.fl.status;
  if (prev?.phase && TERMINAL.includes(prev.phase))
    return { status: prev, placement: false, works: [], evaluation: false, events: [] };
  const b = new StatusBuilder(prev, o.fl.metadata.generation, now);
  b.s.listeners = [...o.listeners];
  b.s.roundProgress ??= `0/${job.rounds}`;
  const candidates = o.decided.filter((c) => addonAvailable(o.addons.get(c)));
  const prevClients = prev?.clients ?? [];
  const base: Omit<Plan, 'status' | 'events'> = { placement: true, evaluation: false };

  if (prevClients.length === 0) {
    if (candidates.length < job.minAvailableClients) {
      const m = waitingMessage(job, o, candidates);
      b.phase('Waiting', m).set(C.clientsSelected, false, 'NotEnoughClients', m);
      b.s.activeClients = 0;
      return { ...base, works: [], status: b.s, events: events(prev, b.s, []) };
    }
    b.s.clients = candidates.map((cluster) => ({ cluster, state: 'Selected' }));
  }
  const m = membership(job, o, b.s.clients ?? prevClients, candidates);
  b.s.clients = m.clients.map((c) => clientFromObservations(c, o));
  b.s.activeClients = m.active.length;
  if (m.failure) {
    b.fail(m.failure.reason, m.failure.message);
    return { ...base, works: [], status: b.s, events: events(prev, b.s, m.lostEvents, o.state) };
  }
  b.set(C.clientsSelected, true, 'ClientsSelected', `${m.active.length} clusters: ${m.active.join(', ')}`);
  const plan: Plan = { ...base, aggregator: { admitted: m.active }, status: b.s, events: [] };

  const endpoint = o.listeners.find((l) => l.address);
  // A finished aggregator needs no address: its stored state decides the outcome.
  const finished = o.aggregator === 'Succeeded' || o.aggregator === 'Failed';
  if (!finished && (!endpoint || o.aggregator === 'Absent')) {
    const why = o.aggregator === 'Absent' ? 'starting the aggregator' : 'waiting for a listener address';
    b.set(C.aggregatorReady, false, 'Pending', why);
    if (b.s.phase !== 'Running') b.phase('Waiting', why);
    plan.events = events(prev, b.s, m.lostEvents, o.state);
    return { ...plan, requeueAfterMs: opts.pollMs };
  }
  if (endpoint)
    b.set(C.aggregatorReady, true, 'Listening', `clients connect to ${endpoint.address}:${endpoint.port}`);
  b.s.startTime ??= now.toISOString();
  plan.works = endpoint && !finished ? taskInputs(job, o, m.active, endpoint) : [];
  const p = progress(job, o, b, now);
  plan.evaluation = p.evaluation;
  if (p.terminal) plan.works = [];
  plan.events = events(prev, b.s, m.lostEvents, o.state);
  // Published progress is watched (informer); only a state read from the job files is polled.
  return p.terminal || o.stateWatched ? plan : { ...plan, requeueAfterMs: opts.pollMs };
}
