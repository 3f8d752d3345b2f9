/**
 * The per-task round loop as a pure state machine: `transition(state, event)` gives the next
 * state, `phaseOf` / `taskStatus` what the task status says about it. All I/O lives in
 * runner.ts, which performs one state and turns the outcome into an event.
 *
 *   poll ──task──▶ download ──downloaded──▶ train ──trained──▶ upload ──uploaded──▶ wait ──▶ poll
 *     │                │                      │ trainer-failed               ▲
 *     │ finished       └──── round-closed ────┴──▶ report-failure ───────────┘
 *     ▼
 *   done (Completed | Failed)
 */
import type { FederatedLearningTaskStatus, TaskPhase } from '@ocm-fl/common/api/task.js';

export type FailureReason = 'TRAINER_CRASHED' | 'TRAINER_TIMED_OUT' | 'DATA_UNAVAILABLE' | 'OTHER';

/** The parts of the aggregator's Task the loop decides on. */
export interface RoundTask {
  readonly round: number;
  readonly rounds: number;
  readonly finished: boolean;
  readonly failed: boolean;
  readonly submitted: boolean;
  /** Unix ms after which uploads for `round` are refused; 0 = none. */
  readonly deadlineUnixMs: number;
  readonly config: Readonly<Record<string, string>>;
  /** What the aggregation strategy asks the trainer to apply (FedProx: proximalMu). */
  readonly strategyConfig: Readonly<Record<string, string>>;
  readonly model?: { readonly round: number; readonly size: number; readonly sha256: string };
  readonly message: string;
}

export interface TrainedUpdate {
  readonly path: string;
  /** `sha256:<hex>` as the handoff server reports it. */
  readonly digest: string;
  readonly bytes: number;
  readonly examples: number;
  readonly metrics: Readonly<Record<string, number>>;
}

export type RunnerState =
  /** Ask the aggregator for the task; `after` is the last round this agent finished (0 = none). */
  | { readonly step: 'poll'; readonly after: number }
  | { readonly step: 'download'; readonly round: number; readonly task: RoundTask }
  | { readonly step: 'train'; readonly round: number; readonly task: RoundTask; readonly modelPath: string }
  | {
      readonly step: 'upload';
      readonly round: number;
      readonly task: RoundTask;
      readonly update: TrainedUpdate;
    }
  | {
      readonly step: 'report-failure';
      readonly round: number;
      readonly reason: FailureReason;
      readonly message: string;
    }
  | { readonly step: 'wait'; readonly after: number }
  | {
      readonly step: 'done';
      readonly phase: 'Completed' | 'Failed';
      readonly message: string;
      readonly round: number;
    };

export type RunnerEvent =
  | { readonly type: 'task'; readonly task: RoundTask; readonly now: number }
  | { readonly type: 'downloaded'; readonly path: string }
  | { readonly type: 'trained'; readonly update: TrainedUpdate }
  | { readonly type: 'trainer-failed'; readonly reason: FailureReason; readonly message: string }
  | { readonly type: 'uploaded' }
  | { readonly type: 'failure-reported' }
  /** The aggregator no longer takes this round (closed, deadline passed, model moved on). */
  | { readonly type: 'round-closed'; readonly message: string }
  | { readonly type: 'waited' };

export const INITIAL_STATE: RunnerState = { step: 'poll', after: 0 };

function invalid(s: RunnerState, e: RunnerEvent): Error {
  return new Error(`round state machine: event ${e.type} is not valid in step ${s.step}`);
}

function onTask(after: number, task: RoundTask, now: number): RunnerState {
  if (task.failed)
    return {
      step: 'done',
      phase: 'Failed',
      message: task.message || 'the aggregator reports the job failed',
      round: task.round || after,
    };
  if (task.finished) {
    return {
      step: 'done',
      phase: 'Completed',
      message: task.message || `job finished after ${task.rounds} rounds`,
      round: task.rounds,
    };
  }
  // Not started, already handled here or on the hub (an agent restart), or too late to take part.
  if (task.round === 0 || task.submitted || task.round <= after)
    return { step: 'wait', after: Math.max(after, task.submitted ? task.round : 0) };
  if (task.deadlineUnixMs > 0 && now >= task.deadlineUnixMs) return { step: 'wait', after: task.round };
  return { step: 'download', round: task.round, task };
}

export function transition(s: RunnerState, e: RunnerEvent): RunnerState {
  if (
    e.type === 'round-closed' &&
    (s.step === 'download' || s.step === 'train' || s.step === 'upload' || s.step === 'report-failure')
  ) {
    return { step: 'wait', after: s.round };
  }
  switch (s.step) {
    case 'poll':
      if (e.type === 'task') return onTask(s.after, e.task, e.now);
      break;
    case 'download':
      if (e.type === 'downloaded') return { step: 'train', round: s.round, task: s.task, modelPath: e.path };
      break;
    case 'train':
      if (e.type === 'trained') return { step: 'upload', round: s.round, task: s.task, update: e.update };
      if (e.type === 'trainer-failed')
        return { step: 'report-failure', round: s.round, reason: e.reason, message: e.message };
      break;
    case 'upload':
      if (e.type === 'uploaded') return { step: 'wait', after: s.round };
      break;
    case 'report-failure':
      if (e.type === 'failure-reported') return { step: 'wait', after: s.round };
      break;
    case 'wait':
      if (e.type === 'waited') return { step: 'poll', after: s.after };
      break;
    case 'done':
      break;
  }
  throw invalid(s, e);
}

/** What the runner remembers across states for the task status. */
export interface StatusContext {
  /** Set while a step is being retried because the aggregator (or the API) is unreachable. */
  readonly retrying?: string;
  readonly lastError?: string;
  readonly lastUpdate?: NonNullable<FederatedLearningTaskStatus['lastUpdate']>;
  readonly metrics?: Readonly<Record<string, number>>;
  /** Round of the last `wait`/`poll` before this one started, for the status round. */
  readonly round?: number;
}

export function phaseOf(s: RunnerState): TaskPhase {
  switch (s.step) {
    case 'poll':
      return s.after === 0 ? 'Pending' : 'Waiting';
    case 'download':
      return 'Downloading';
    case 'train':
    case 'report-failure':
      return 'Training';
    case 'upload':
      return 'Uploading';
    case 'wait':
      return 'Waiting';
    case 'done':
      return s.phase;
  }
}

function roundOf(s: RunnerState): number {
  switch (s.step) {
    case 'poll':
    case 'wait':
      return s.after;
    default:
      return s.round;
  }
}

function messageOf(s: RunnerState): string {
  switch (s.step) {
    case 'poll':
      return 'asking the aggregator for the current round';
    case 'download':
      return `downloading the global model for round ${s.round}`;
    case 'train':
      return `trainer running for round ${s.round}`;
    case 'upload':
      return `uploading the update for round ${s.round} (${s.update.examples} examples)`;
    case 'report-failure':
      return `reporting the trainer failure of round ${s.round} to the aggregator`;
    case 'wait':
      return s.after === 0
        ? 'waiting for the first round to open'
        : `round ${s.after} done; waiting for the next round`;
    case 'done':
      return s.message;
  }
}

/** The status fields the runner owns, for a state and its context. Pure. */
export function taskStatus(s: RunnerState, ctx: StatusContext): FederatedLearningTaskStatus {
  const out: FederatedLearningTaskStatus = {
    phase: phaseOf(s),
    round: roundOf(s),
    message: ctx.retrying ? `${messageOf(s)}; ${ctx.retrying}` : messageOf(s),
  };
  if (ctx.lastError) out.lastError = ctx.lastError;
  if (ctx.lastUpdate) out.lastUpdate = { ...ctx.lastUpdate };
  if (ctx.metrics && Object.keys(ctx.metrics).length > 0) out.metrics = { ...ctx.metrics };
  return out;
}

/** The context after an event: records failures and accepted updates. Pure. */
export function updateContext(ctx: StatusContext, s: RunnerState, e: RunnerEvent): StatusContext {
  const { retrying: _dropped, ...rest } = ctx;
  switch (e.type) {
    case 'trainer-failed':
      return { ...rest, lastError: `round ${roundOf(s)}: ${e.message}` };
    case 'round-closed':
      return { ...rest, lastError: `round ${roundOf(s)}: ${e.message}` };
    case 'uploaded':
      if (s.step !== 'upload') return rest;
      return {
        ...rest,
        lastUpdate: {
          round: s.round,
          digest: s.update.digest,
          bytes: s.update.bytes,
          examples: s.update.examples,
        },
        metrics: s.update.metrics,
      };
    default:
      return rest;
  }
}
