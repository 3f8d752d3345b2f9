/**
 * The hub↔aggregator job contract, part 2: the job state the aggregator writes (state.json in
 * the job storage, and the `state.json` key of the state ConfigMap) and the FL controller reads,
 * with the validator the controller applies to what it reads.
 */

/** Key of the state ConfigMap holding the JSON job state. */
export const STATE_KEY = 'state.json';

/** What the aggregation strategy did with one client's update in a round. */
export interface ClientOutcome {
  readonly included: boolean;
  /** Share of the aggregate, 0..1, where the rule has one. */
  readonly weight?: number;
  /** L2 norm of the update's delta from the global model. */
  readonly norm?: number;
  readonly clipped?: boolean;
  readonly reason?: string;
}

/** Privacy spent so far by a strategy that adds Gaussian noise (central DP, RDP accountant). */
export interface PrivacyReport {
  readonly epsilon: number;
  readonly delta: number;
  readonly noiseMultiplier: number;
  readonly clipNorm: number;
  readonly rounds: number;
}

export type Phase = 'running' | 'completed' | 'failed';
export type ClientState =
  'joined' | 'downloading' | 'uploading' | 'submitted' | 'failed' | 'straggler' | 'rejected';

export interface RoundRecord {
  readonly round: number;
  /** 0 for the first try, 1.. for retries after too few clients. */
  readonly attempt: number;
  readonly participants: readonly string[];
  readonly failed: readonly string[];
  readonly stragglers: readonly string[];
  readonly examples: number;
  /** Metrics averaged over participants weighted by examples. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly durationMs: number;
  /** SHA-256 of the resulting global model ('' when the attempt did not produce one). */
  readonly sha256: string;
  readonly outcome: 'aggregated' | 'retry' | 'failed';
  readonly closedAt: string;
  /** Strategy that aggregated the round, and what it did with each client's update. */
  readonly strategy?: string;
  readonly clients?: Readonly<Record<string, ClientOutcome>>;
  /** Cumulative privacy spent after this round, when the strategy adds DP noise. */
  readonly privacy?: PrivacyReport;
}

export interface ClientStatus {
  readonly state: ClientState;
  readonly round: number;
  readonly lastSeen: string;
  readonly message?: string;
  readonly examples?: number;
}

export interface JobState {
  readonly jobId: string;
  readonly phase: Phase;
  readonly message: string;
  readonly rounds: number;
  /** Rounds aggregated so far; the current round is completedRounds + 1. */
  readonly completedRounds: number;
  /** Digest and size of the current global model (checkpoint of completedRounds). */
  readonly modelSha256: string;
  readonly modelSize: number;
  readonly history: readonly RoundRecord[];
  readonly clients: Readonly<Record<string, ClientStatus>>;
  readonly updatedAt: string;
  /** Cumulative privacy spent so far (central DP strategies). */
  readonly privacy?: PrivacyReport;
}

export class JobStateError extends Error {
  override name = 'JobStateError';
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const PHASES: readonly string[] = ['running', 'completed', 'failed'];
const OUTCOMES: readonly string[] = ['aggregated', 'retry', 'failed'];

function need(ok: boolean, what: string): void {
  if (!ok) throw new JobStateError(`job state: ${what}`);
}

function checkRecord(r: unknown, i: number): void {
  need(isObj(r), `history[${i}] must be an object`);
  const rec = r as Record<string, unknown>;
  need(Number.isSafeInteger(rec.round) && (rec.round as number) >= 1, `history[${i}].round must be >= 1`);
  need(
    OUTCOMES.includes(rec.outcome as string),
    `history[${i}].outcome must be one of ${OUTCOMES.join(', ')}`,
  );
  need(Array.isArray(rec.participants), `history[${i}].participants must be a list`);
  need(typeof rec.examples === 'number', `history[${i}].examples must be a number`);
  need(
    isObj(rec.metrics) && Object.values(rec.metrics).every((v) => typeof v === 'number'),
    `history[${i}].metrics must map names to numbers`,
  );
  need(typeof rec.sha256 === 'string', `history[${i}].sha256 must be a string`);
}

/**
 * Check the shape of a job state read from outside (the ConfigMap, state.json) before the
 * controller acts on it; throws JobStateError naming the bad field.
 */
export function parseJobState(raw: unknown): JobState {
  need(isObj(raw), 'must be an object');
  const s = raw as Record<string, unknown>;
  need(typeof s.jobId === 'string', 'jobId must be a string');
  need(PHASES.includes(s.phase as string), `phase must be one of ${PHASES.join(', ')}`);
  need(Number.isSafeInteger(s.rounds) && (s.rounds as number) >= 1, 'rounds must be an integer >= 1');
  need(
    Number.isSafeInteger(s.completedRounds) && (s.completedRounds as number) >= 0,
    'completedRounds must be an integer >= 0',
  );
  need(typeof s.modelSha256 === 'string', 'modelSha256 must be a string');
  need(Array.isArray(s.history), 'history must be a list');
  (s.history as unknown[]).forEach(checkRecord);
  need(isObj(s.clients), 'clients must be an object');
  if (s.privacy !== undefined)
    need(isObj(s.privacy) && typeof s.privacy.epsilon === 'number', 'privacy.epsilon must be a number');
  return raw as unknown as JobState;
}
