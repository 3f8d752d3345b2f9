/**
 * The per-job aggregator: round state machine, admission, streaming aggregation, checkpoints.
 * RPC semantics live here as plain async methods taking the caller's cluster; grpc-server.ts
 * maps them onto the wire.
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseManifest, type Manifest } from '@ocm-fl/common/model/safetensors.js';
import { fail, DataPlaneError } from '@ocm-fl/common/dataplane/errors.js';
import { sha256File } from '@ocm-fl/common/dataplane/file-io.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { MAX_CHUNK_BYTES, MAX_PARALLEL_STREAMS } from '@ocm-fl/proto/load.js';
import type { AggregatorConfig } from './config.js';
import { writeModelFile } from './accumulator.js';
import { elementTotal } from '@ocm-fl/common/dataplane/tensor-stream.js';
import {
  createStrategy,
  openSafetensorsUpdate,
  readSafetensorsFlat,
  strategyConfigForTask,
  type ClientOutcome,
  type RoundContext,
  type Screening,
  type Strategy,
} from './strategy/index.js';
import type { SafetensorsUpdate } from './strategy/safetensors-update.js';
import { loadStrategyState, pruneStrategyStates, saveStrategyState } from './strategy-checkpoint.js';
import { afterTooFew, closeDecision, stragglers, weightedMetrics } from './round-policy.js';
import {
  StateStore,
  type ClientState,
  type ClientStatus,
  type JobState,
  type RoundRecord,
} from './state-store.js';
import { UploadSession, type UploadDeclaration } from './upload-session.js';
import type { Handlers, Peer } from './grpc-server.js';
import type { UploadUpdateRequest__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/UploadUpdateRequest.js';

interface Submission {
  examples: number;
  metrics: Record<string, number>;
  sha256: string;
}

interface RoundState {
  readonly round: number;
  readonly attempt: number;
  readonly openedAt: number;
  readonly deadline: number;
  readonly submitted: Map<string, Submission>;
  readonly failed: Map<string, string>;
  readonly sessions: Map<string, UploadSession>;
  /** Updates the strategy counted, their spill files kept until the round closes (robust rules re-read them). */
  readonly counted: Map<string, { update: SafetensorsUpdate; session: UploadSession; screening: Screening }>;
  /** Updates the strategy's screen refused (norm bound, non-finite delta), with the reason. */
  readonly refused: Map<string, { reason: string; norm?: number }>;
  closing: boolean;
  timer?: NodeJS.Timeout;
}

interface GlobalModel {
  readonly path: string;
  readonly manifest: Manifest;
  readonly header: Buffer;
  readonly size: number;
  readonly sha256: string;
}

async function readGlobal(file: string): Promise<GlobalModel> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const first = Buffer.alloc(Math.min(size, 8));
    await fh.read(first, 0, first.length, 0);
    const n = first.length === 8 ? Number(first.readBigUInt64LE(0)) : 0;
    const header = Buffer.alloc(Math.min(size, 8 + n));
    await fh.read(header, 0, header.length, 0);
    const manifest = parseManifest(header);
    if (manifest.dataStart + manifest.dataBytes !== size)
      throw new Error(`${file}: ${size} bytes, manifest says ${manifest.dataStart + manifest.dataBytes}`);
    return { path: file, manifest, header, size, sha256: await sha256File(file) };
  } finally {
    await fh.close();
  }
}

/** Elements a strategy reads per update at a time (order statistics hold N blocks): 1 MiB of float32. */
export const STRATEGY_BLOCK_ELEMENTS = 1 << 18;

/** Per-client outcome of a round for the status: what the rule did, and what the screen refused. */
function outcomesOf(
  r: RoundState,
  fromRule: Readonly<Record<string, ClientOutcome>>,
): Record<string, ClientOutcome> {
  const out: Record<string, ClientOutcome> = {};
  for (const [c, x] of r.refused) out[c] = { included: false, ...x };
  for (const [c, o] of Object.entries(fromRule)) out[c] = o;
  return out;
}

/** Longest a GetTask long poll is held; well under any client's call deadline plus margin. */
export const MAX_TASK_WAIT_SECONDS = 30;

type MutableJob = { -readonly [K in keyof JobState]: JobState[K] } & {
  history: RoundRecord[];
  clients: Record<string, ClientStatus>;
};

export class AggregatorCore {
  private admitted: Set<string>;
  private job!: MutableJob;
  private global!: GlobalModel;
  private strategy!: Strategy;
  /** The current global model flattened to float32, loaded when a round first needs it. */
  private globalValues: Float32Array | undefined;
  private round: RoundState | undefined;
  /** The round closed last, kept so its participants can still report metrics for it. */
  private lastRound: RoundState | undefined;
  private foldChain: Promise<void> = Promise.resolve();
  private saveChain: Promise<void> = Promise.resolve();
  /** The round close in progress, if any (closeRound catches its own errors). */
  private closingRun: Promise<void> = Promise.resolve();
  private tokens = 0;
  private spills = 0;
  private doneWaiters: Array<(s: JobState) => void> = [];
  /** GetTask long polls held until the task changes (a round opens or the job ends). */
  private readonly taskWaiters = new Set<() => void>();
  /** Clusters answered with the job's end, and who waits for all of them to be. */
  private readonly sawEnd = new Set<string>();
  private readonly endSeenWaiters = new Set<() => void>();
  readonly store: StateStore;

  constructor(
    private readonly cfg: AggregatorConfig,
    private readonly log: Logger,
    /** Called with every state saved (e.g. to publish it for the hub controller). */
    private readonly onSaved?: (state: JobState) => void,
  ) {
    this.admitted = new Set(cfg.admittedClusters);
    this.store = new StateStore(cfg.storageDir);
  }

  /** Load or create the job state and open the current round. */
  async start(): Promise<void> {
    await this.store.init();
    const saved = await this.store.load();
    if (saved) {
      this.job = { ...saved, clients: { ...saved.clients }, history: [...saved.history] };
      this.log.info('resuming job', { completedRounds: saved.completedRounds, phase: saved.phase });
    } else {
      await this.importInitialModel();
    }
    this.global = await readGlobal(this.store.checkpointPath(this.job.completedRounds));
    if (this.global.sha256 !== this.job.modelSha256)
      throw new Error(`checkpoint of round ${this.job.completedRounds} does not match state.json`);
    if (this.job.phase !== 'running') return;
    await this.startStrategy();
    const attempt = this.job.history.filter((h) => h.round === this.job.completedRounds + 1).length;
    this.openRound(attempt);
    await this.save();
  }

  /** Build the configured strategy and give it back its server state after a restart. */
  private async startStrategy(): Promise<void> {
    const spec = this.cfg.strategy ?? { name: 'FedAvg' };
    this.strategy = createStrategy(spec, elementTotal(this.global.manifest));
    const done = this.job.completedRounds;
    const saved = done > 0 ? await loadStrategyState(this.cfg.storageDir, done) : undefined;
    if (saved) this.strategy.restore(saved);
    else if (done > 0)
      this.log.warn('no strategy state saved for the last round; server state starts afresh', {
        round: done,
      });
    this.strategy.reset();
    this.log.info('strategy', { name: this.strategy.name, memoryModels: this.strategy.memoryModels });
  }

  private async roundContext(r: RoundState): Promise<RoundContext> {
    this.globalValues ??= (await readSafetensorsFlat(this.global.path)).values;
    return { round: r.round, global: this.globalValues, blockElements: STRATEGY_BLOCK_ELEMENTS };
  }

  private async importInitialModel(): Promise<void> {
    const src = this.cfg.initialModelPath;
    try {
      await stat(src);
    } catch (e) {
      throw new Error(`initial model ${src} not found: the job cannot start without one`, { cause: e });
    }
    let g: GlobalModel;
    try {
      g = await readGlobal(src);
    } catch (e) {
      throw new Error(`initial model ${src} is not a valid safetensors model`, { cause: e });
    }
    await this.store.importInitialModel(src);
    this.job = {
      jobId: this.cfg.jobId,
      phase: 'running',
      message: '',
      rounds: this.cfg.rounds,
      completedRounds: 0,
      modelSha256: g.sha256,
      modelSize: g.size,
      history: [],
      clients: {},
      updatedAt: new Date().toISOString(),
    };
  }

  state(): JobState {
    return structuredClone(this.job);
  }

  setAdmitted(clusters: readonly string[]): void {
    this.admitted = new Set(clusters);
    this.log.info('admitted clusters updated', { clusters: [...this.admitted] });
    this.maybeClose();
  }

  /**
   * After the job ended: resolves true once every admitted cluster has been told so (GetTask or
   * Heartbeat answered finished/failed), or false after `ms`, whichever comes first.
   */
  whenEndSeen(ms: number): Promise<boolean> {
    if (this.everyoneSawEnd()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.endSeenWaiters.delete(done);
        resolve(false);
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.endSeenWaiters.add(done);
    });
  }

  private everyoneSawEnd(): boolean {
    return this.job.phase !== 'running' && [...this.admitted].every((c) => this.sawEnd.has(c));
  }

  /** Record that `cluster` was answered with the job's end. */
  private noteSawEnd(cluster: string): void {
    if (this.job.phase === 'running' || this.sawEnd.has(cluster)) return;
    this.sawEnd.add(cluster);
    if (!this.everyoneSawEnd()) return;
    for (const w of [...this.endSeenWaiters]) w();
    this.endSeenWaiters.clear();
  }

  /** Resolves once the job is completed or failed. */
  whenDone(): Promise<JobState> {
    if (this.job.phase !== 'running') return Promise.resolve(this.state());
    return new Promise((r) => this.doneWaiters.push(r));
  }

  async stop(): Promise<void> {
    this.wakeTaskWaiters(); // held GetTask calls answer now instead of holding the shutdown
    await this.closingRun; // may open the next round: clear its timer after
    if (this.round?.timer) clearTimeout(this.round.timer);
    for (const s of this.round?.sessions.values() ?? []) await s.discard();
    await this.foldChain.catch(() => undefined);
    for (const c of this.round?.counted.values() ?? []) await c.session.discard();
    await this.saveChain;
  }

  private openRound(attempt: number): void {
    const now = Date.now();
    const r: RoundState = {
      round: this.job.completedRounds + 1,
      attempt,
      openedAt: now,
      deadline: now + this.cfg.roundDeadlineSeconds * 1000,
      submitted: new Map(),
      failed: new Map(),
      sessions: new Map(),
      counted: new Map(),
      refused: new Map(),
      closing: false,
    };
    r.timer = setTimeout(() => void this.close(r, true), r.deadline - now);
    this.round = r;
    this.log.info('round open', { round: r.round, attempt, deadline: new Date(r.deadline).toISOString() });
    this.wakeTaskWaiters();
  }

  private wakeTaskWaiters(): void {
    for (const w of [...this.taskWaiters]) w();
  }

  /** Whether `cluster`, done with round `after`, has something new to act on (GetTask long poll). */
  private taskChangedFor(cluster: string, after: number): boolean {
    if (this.job.phase !== 'running') return true;
    const r = this.round;
    if (!r || r.closing) return false;
    if (r.round > after) return true;
    // The same round reopened (retry) without this cluster's update: there is work again.
    return (
      r.round === after && !r.submitted.has(cluster) && !r.failed.has(cluster) && Date.now() < r.deadline
    );
  }

  /** Resolve at the next task change, after `ms`, or when the call is cancelled. */
  private nextTaskChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.taskWaiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.taskWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private maybeClose(): void {
    const r = this.round;
    if (!r || r.closing) return;
    if (this.decide(r, false) !== 'wait') void this.close(r, false);
  }

  private decide(r: RoundState, deadlinePassed: boolean): ReturnType<typeof closeDecision> {
    return closeDecision({
      admitted: this.admitted,
      submitted: new Set(r.submitted.keys()),
      failed: new Set(r.failed.keys()),
      minClients: this.cfg.minClients,
      deadlinePassed,
    });
  }

  private close(r: RoundState, atDeadline: boolean): Promise<void> {
    if (r.closing || this.round !== r) return Promise.resolve();
    r.closing = true;
    clearTimeout(r.timer);
    // stop() waits for this: a round recorded in memory must also reach state.json.
    this.closingRun = this.closeRound(r, atDeadline);
    return this.closingRun;
  }

  private async closeRound(r: RoundState, atDeadline: boolean): Promise<void> {
    try {
      await this.foldChain;
      for (const s of r.sessions.values()) await s.discard();
      await this.finishRound(r, this.decide(r, true), atDeadline);
    } catch (e) {
      this.job.phase = 'failed';
      this.job.message = `round ${r.round} could not be closed: ${(e as Error).message}`;
      this.log.error('closing round failed', { round: r.round, error: (e as Error).message });
      await this.save();
    }
    if (this.job.phase !== 'running') {
      for (const w of this.doneWaiters.splice(0)) w(this.state());
      this.wakeTaskWaiters();
    }
  }

  private async finishRound(
    r: RoundState,
    decision: ReturnType<typeof closeDecision>,
    atDeadline: boolean,
  ): Promise<void> {
    const late = stragglers({
      admitted: this.admitted,
      submitted: new Set(r.submitted.keys()),
      failed: new Set(r.failed.keys()),
    });
    for (const c of late)
      this.setClient(c, 'straggler', r.round, `no update by the round ${r.round} deadline`);
    const base = {
      round: r.round,
      attempt: r.attempt,
      participants: [...r.submitted.keys()].sort(),
      failed: [...r.failed.keys()].sort(),
      stragglers: late,
      examples: [...r.submitted.values()].reduce((n, s) => n + s.examples, 0),
      durationMs: Date.now() - r.openedAt,
      closedAt: new Date().toISOString(),
    };
    if (decision === 'aggregate') {
      const dest = this.store.checkpointPath(r.round);
      const ctx = await this.roundContext(r);
      const next = new Float32Array(ctx.global.length);
      const result = await this.strategy.aggregate(
        [...r.counted.values()].map((c) => c.update),
        ctx,
        next,
      );
      const { sha256, size } = await writeModelFile(this.global.manifest, this.global.header, next, dest);
      await saveStrategyState(this.cfg.storageDir, r.round, this.strategy.checkpoint());
      // Re-read from the file: F16 tensors were rounded there, and a resumed job sees only the file.
      this.globalValues = undefined;
      const metrics = weightedMetrics(r.submitted.values()); // includes reports that came while closing
      this.job.history.push({
        ...base,
        metrics,
        sha256,
        outcome: 'aggregated',
        strategy: this.strategy.name,
        clients: outcomesOf(r, result.clients),
        ...(result.privacy ? { privacy: result.privacy } : {}),
      } satisfies RoundRecord);
      if (result.privacy) this.job.privacy = result.privacy;
      for (const [c, o] of Object.entries(result.clients))
        if (!o.included)
          this.setClient(c, 'rejected', r.round, o.reason ?? `left out by ${this.strategy.name}`);
      this.job.completedRounds = r.round;
      this.job.modelSha256 = sha256;
      this.job.modelSize = size;
      this.global = { ...this.global, path: dest, size, sha256 };
      await this.store.publish(r.round, 'last');
      await this.store.prune(r.round, this.cfg.keepCheckpoints);
      this.log.info('round aggregated', {
        round: r.round,
        participants: base.participants.length,
        atDeadline,
        sha256,
      });
      if (r.round >= this.job.rounds) {
        await this.store.publish(r.round, 'final');
        this.job.phase = 'completed';
        this.job.message = `completed ${r.round} rounds`;
      }
    } else {
      const next = afterTooFew(this.cfg.failurePolicy, r.attempt);
      this.job.history.push({
        ...base,
        metrics: weightedMetrics(r.submitted.values()),
        sha256: '',
        outcome: next === 'retry' ? 'retry' : 'failed',
        strategy: this.strategy.name,
        clients: outcomesOf(r, {}),
      });
      const msg = `round ${r.round}: ${r.submitted.size} updates, fewer than the minimum ${this.cfg.minClients}`;
      this.log.warn(msg, { attempt: r.attempt, next });
      if (next === 'fail') {
        this.job.phase = 'failed';
        this.job.message = msg;
      }
    }
    this.strategy.reset();
    for (const c of r.counted.values()) await c.session.discard();
    this.lastRound = r;
    this.round = undefined;
    if (this.job.phase === 'running') this.openRound(decision === 'aggregate' ? 0 : r.attempt + 1);
    await this.save();
    if (decision === 'aggregate') await pruneStrategyStates(this.cfg.storageDir, r.round);
  }

  private save(): Promise<void> {
    this.job.updatedAt = new Date().toISOString();
    const snapshot = JSON.parse(JSON.stringify(this.job)) as JobState;
    this.onSaved?.(snapshot);
    this.saveChain = this.saveChain
      .then(() => this.store.save(snapshot))
      .catch((e: unknown) => {
        this.log.error('saving state failed', { error: (e as Error).message });
      });
    return this.saveChain;
  }

  private setClient(
    cluster: string,
    state: ClientState,
    round: number,
    message?: string,
    examples?: number,
  ): void {
    this.job.clients[cluster] = {
      state,
      round,
      lastSeen: new Date().toISOString(),
      ...(message ? { message } : {}),
      ...(examples !== undefined ? { examples } : {}),
    };
  }

  private touch(cluster: string, state?: ClientState): void {
    const prev = this.job.clients[cluster];
    this.setClient(
      cluster,
      state ?? prev?.state ?? 'joined',
      this.round?.round ?? prev?.round ?? 0,
      prev?.message,
      prev?.examples,
    );
  }

  // ---- admission ----

  private admit(peer: Peer, jobId: string): void {
    if (jobId && jobId !== this.cfg.jobId)
      throw fail('NOT_FOUND', `this aggregator serves job ${this.cfg.jobId}, not ${jobId}`);
    if (!this.admitted.has(peer.cluster)) {
      this.log.warn('refused cluster not admitted to the job', {
        cluster: peer.cluster,
        address: peer.address,
      });
      throw fail('PERMISSION_DENIED', `cluster ${peer.cluster} is not admitted to job ${this.cfg.jobId}`);
    }
  }

  /** The open round `round`, or FAILED_PRECONDITION. */
  private openRoundFor(round: number): RoundState {
    if (this.job.phase !== 'running') throw fail('FAILED_PRECONDITION', `job is ${this.job.phase}`);
    const r = this.round;
    if (!r || r.closing)
      throw fail('FAILED_PRECONDITION', `round ${this.job.completedRounds + 1} is closing`);
    if (round !== r.round)
      throw fail('FAILED_PRECONDITION', `round ${round} is not the current round ${r.round}`);
    if (Date.now() > r.deadline) throw fail('FAILED_PRECONDITION', `round ${r.round} deadline passed`);
    return r;
  }

  /**
   * The update `cluster` sent for `round`, in the open round or in the one that just closed: the
   * update that closes a round is answered before its sender can report metrics for it.
   */
  private submissionFor(cluster: string, round: number): { sub: Submission; closed?: RoundState } {
    const r = this.round;
    if (r && r.round === round && this.job.phase === 'running') {
      const sub = r.submitted.get(cluster);
      if (sub) return { sub, ...(r.closing ? { closed: r } : {}) };
    }
    const last = this.lastRound;
    const sub = last && last.round === round ? last.submitted.get(cluster) : undefined;
    if (sub) return { sub, closed: last };
    if (r && r.round === round && this.job.phase === 'running')
      throw fail('FAILED_PRECONDITION', `report metrics after the update for round ${round}`);
    throw fail(
      'FAILED_PRECONDITION',
      `no update from cluster ${cluster} for round ${round} is open or just closed`,
    );
  }

  /** Recompute a closed round's metrics after a late report (the record may not be written yet). */
  private refreshRecordMetrics(r: RoundState): void {
    const i = this.job.history.findIndex((h) => h.round === r.round && h.attempt === r.attempt);
    const rec = this.job.history[i];
    if (!rec) return; // finishRound computes them when it writes the record
    this.job.history[i] = { ...rec, metrics: weightedMetrics(r.submitted.values()) };
    void this.save();
  }

  // ---- RPCs ----

  readonly handlers: Handlers = {
    join: async (req, peer) => {
      this.admit(peer, req.jobId);
      this.touch(peer.cluster, 'joined');
      return {
        jobId: this.cfg.jobId,
        jobName: this.cfg.jobName,
        cluster: peer.cluster,
        rounds: this.cfg.rounds,
        currentRound: this.round?.round ?? 0,
        heartbeatIntervalSeconds: this.cfg.heartbeatIntervalSeconds,
        maxChunkBytes: MAX_CHUNK_BYTES,
        // Leave room under the per-cluster call cap for heartbeats and a retry.
        maxParallelStreams: Math.max(1, Math.min(MAX_PARALLEL_STREAMS, this.cfg.maxStreamsPerClient - 2)),
      };
    },
    heartbeat: async (req, peer) => {
      this.admit(peer, req.jobId);
      this.touch(peer.cluster);
      this.noteSawEnd(peer.cluster);
      return { currentRound: this.round?.round ?? 0, finished: this.job.phase !== 'running' };
    },
    getTask: async (req, peer, signal) => {
      this.admit(peer, req.jobId);
      this.touch(peer.cluster);
      const waitMs = Math.min(req.waitSeconds, MAX_TASK_WAIT_SECONDS) * 1000;
      if (waitMs > 0 && !this.taskChangedFor(peer.cluster, req.waitAfterRound))
        await this.nextTaskChange(waitMs, signal);
      const r = this.round;
      const running = this.job.phase === 'running' && r !== undefined;
      this.noteSawEnd(peer.cluster);
      return {
        round: running ? r.round : 0,
        rounds: this.job.rounds,
        config: { ...this.cfg.taskConfig },
        strategyConfig: running ? strategyConfigForTask(this.strategy.clientConfig(r.round)) : {},
        deadlineUnixMs: running ? r.deadline : 0,
        finished: this.job.phase === 'completed',
        failed: this.job.phase === 'failed',
        model: {
          round: running ? r.round : this.job.completedRounds,
          size: this.global.size,
          sha256: this.global.sha256,
        },
        submitted: running ? r.submitted.has(peer.cluster) || r.failed.has(peer.cluster) : false,
        phase: this.job.phase,
        message: this.job.message,
      };
    },
    downloadModel: (req, peer, signal) => this.download(req, peer, signal),
    getUploadOffset: async (req, peer) => {
      this.admit(peer, req.jobId);
      const r = this.openRoundFor(req.round);
      const done = r.submitted.get(peer.cluster);
      if (done) {
        if (done.sha256 === req.sha256) return { offset: 0, complete: true };
        throw fail(
          'ALREADY_EXISTS',
          `cluster ${peer.cluster} already submitted an update for round ${r.round}`,
        );
      }
      const s = r.sessions.get(peer.cluster);
      if (!s || s.decl.sha256 !== req.sha256) return { offset: 0, complete: false, held: [] };
      await s.takeOver(s.owner); // settle pending writes so the answer is current
      return { offset: s.offset, complete: false, held: s.heldRanges };
    },
    uploadUpdate: (reqs, peer) => this.upload(reqs, peer),
    reportMetrics: async (req, peer) => {
      this.admit(peer, req.jobId);
      // All or nothing: one bad value refuses the whole report.
      for (const [k, v] of Object.entries(req.metrics))
        if (!Number.isFinite(v)) throw fail('INVALID_ARGUMENT', `metric ${k} is not finite`);
      const { sub, closed } = this.submissionFor(peer.cluster, req.round);
      Object.assign(sub.metrics, req.metrics);
      if (closed) this.refreshRecordMetrics(closed);
      return {};
    },
    reportFailure: async (req, peer) => {
      this.admit(peer, req.jobId);
      const r = this.openRoundFor(req.round);
      if (r.submitted.has(peer.cluster))
        throw fail('ALREADY_EXISTS', `cluster ${peer.cluster} already submitted for round ${r.round}`);
      r.failed.set(peer.cluster, `${req.reason}: ${req.message}`);
      await r.sessions.get(peer.cluster)?.discard();
      r.sessions.delete(peer.cluster);
      this.setClient(peer.cluster, 'failed', r.round, `${req.reason}: ${req.message}`);
      this.log.warn('client reported failure', {
        cluster: peer.cluster,
        round: r.round,
        reason: req.reason,
        message: req.message,
      });
      void this.save();
      this.maybeClose();
      return {};
    },
  };

  private async *download(
    req: Parameters<Handlers['downloadModel']>[0],
    peer: Peer,
    signal: AbortSignal,
  ): AsyncGenerator<{
    header?: { round: number; size: number; sha256: string };
    chunk?: { offset: number; data: Buffer };
  }> {
    this.admit(peer, req.jobId);
    // The input of the next round is the newest checkpoint as soon as it is recorded, even while
    // the closing round is still finishing (state saved, next round not yet open).
    const current = this.job.phase === 'running' ? this.job.completedRounds + 1 : this.job.completedRounds;
    let g: { path: string; size: number; sha256: string } = this.global;
    if (req.round !== 0 && req.round !== current) {
      if (req.round < 1 || req.round > current) throw fail('NOT_FOUND', `no model for round ${req.round}`);
      const p = this.store.checkpointPath(req.round - 1);
      try {
        g = { path: p, size: (await stat(p)).size, sha256: await sha256File(p) };
      } catch (e) {
        throw fail('NOT_FOUND', `checkpoint for round ${req.round} is no longer kept`, e);
      }
    }
    if (req.expectedSha256 && req.expectedSha256 !== g.sha256)
      throw fail('FAILED_PRECONDITION', `model is ${g.sha256}, not the expected ${req.expectedSha256}`);
    const end = req.end || g.size;
    if (req.offset > end || end > g.size)
      throw fail('OUT_OF_RANGE', `range [${req.offset}, ${end}) is not inside the ${g.size}-byte model`);
    this.touch(peer.cluster, 'downloading');
    yield { header: { round: req.round || current, size: g.size, sha256: g.sha256 } };
    let offset = req.offset;
    if (offset === end) return;
    // The file stays readable through its open descriptor even if a newer round prunes it.
    // One chunk is read only when the previous one was sent: no read-ahead buffers per stream.
    const fh = await open(g.path, 'r');
    try {
      while (offset < end && !signal.aborted) {
        const data = Buffer.allocUnsafe(Math.min(MAX_CHUNK_BYTES, end - offset));
        const { bytesRead } = await fh.read(data, 0, data.length, offset);
        if (bytesRead === 0) throw new Error(`${g.path} ended at ${offset} of ${end} bytes`);
        yield { chunk: { offset, data: data.subarray(0, bytesRead) } };
        offset += bytesRead;
      }
    } finally {
      await fh.close();
    }
  }

  private async upload(
    reqs: AsyncIterable<UploadUpdateRequest__Output>,
    peer: Peer,
  ): Promise<{ round: number; receivedBytes: number; sha256: string; committed: boolean }> {
    const it = reqs[Symbol.asyncIterator]();
    const first = await it.next();
    const h = first.done ? undefined : first.value.header;
    if (!h) throw fail('INVALID_ARGUMENT', 'the first upload message must be a header');
    this.admit(peer, h.jobId);
    const r = this.openRoundFor(h.round);
    if (r.submitted.has(peer.cluster))
      throw fail(
        'ALREADY_EXISTS',
        `cluster ${peer.cluster} already submitted an update for round ${r.round}`,
      );
    if (r.failed.has(peer.cluster))
      throw fail('FAILED_PRECONDITION', `cluster ${peer.cluster} reported a failure for round ${r.round}`);
    const decl: UploadDeclaration = {
      round: h.round,
      examples: h.examples,
      size: h.size,
      sha256: h.sha256,
      metrics: { ...h.metrics },
    };
    UploadSession.checkDeclaration(
      decl,
      this.global.size,
      this.cfg.maxUpdateBytes ?? this.global.size + (1 << 20),
    );
    // A ranged stream carries [offset, end) of the upload; several of them share one session.
    const ranged = h.end > 0;
    const end = ranged ? h.end : decl.size;
    if (ranged && !(h.offset < h.end && h.end <= decl.size))
      throw fail('OUT_OF_RANGE', `range [${h.offset}, ${h.end}) is not inside the ${decl.size}-byte update`);
    const session = await this.sessionFor(r, peer.cluster, decl, h.offset, ranged);
    const token = ranged ? 0 : ++this.tokens;
    if (!ranged) await session.takeOver(token);
    this.touch(peer.cluster, 'uploading');
    let next = h.offset;
    try {
      for (let m = await it.next(); !m.done; m = await it.next()) {
        const c = m.value.chunk;
        if (!c) throw fail('INVALID_ARGUMENT', 'only chunks may follow the header');
        if (c.data.length > MAX_CHUNK_BYTES)
          throw fail(
            'INVALID_ARGUMENT',
            `chunk of ${c.data.length} bytes is larger than max_chunk_bytes ${MAX_CHUNK_BYTES}`,
          );
        if (ranged && (c.offset !== next || next + c.data.length > end))
          throw fail(
            'OUT_OF_RANGE',
            `chunk at offset ${c.offset}, expected ${next} within [${h.offset}, ${end})`,
          );
        await session.write(token, c.offset, c.data);
        next = c.offset + c.data.length;
      }
    } catch (e) {
      if (DataPlaneError.is(e, 'INVALID_ARGUMENT')) await this.reject(r, peer.cluster, session, e);
      throw e;
    }
    if (ranged ? next !== end : !session.complete)
      throw fail('ABORTED', `upload stream stopped at ${next} of ${end} bytes; resume from there`);
    // Exactly one stream, the one that finds every byte present, checks and counts the update.
    if (!session.complete || session.committing) {
      if (!ranged) throw fail('ABORTED', 'upload is not complete; ask GetUploadOffset');
      return { round: r.round, receivedBytes: session.received, sha256: decl.sha256, committed: false };
    }
    session.committing = true;
    try {
      await session.finish();
    } catch (e) {
      await this.reject(r, peer.cluster, session, e as DataPlaneError);
      throw e;
    }
    return { ...(await this.accept(r, peer.cluster, session)), committed: true };
  }

  private async sessionFor(
    r: RoundState,
    cluster: string,
    decl: UploadDeclaration,
    offset: number,
    ranged: boolean,
  ): Promise<UploadSession> {
    const existing = r.sessions.get(cluster);
    if (existing && existing.decl.sha256 === decl.sha256 && existing.decl.size === decl.size) {
      if (ranged) return existing;
      await existing.takeOver(-1); // settle pending writes before reading the offset
      if (offset !== existing.offset)
        throw fail('OUT_OF_RANGE', `resume at offset ${existing.offset}, not ${offset}`);
      return existing;
    }
    if (!ranged && offset !== 0) {
      await existing?.discard();
      if (existing && r.sessions.get(cluster) === existing) r.sessions.delete(cluster);
      throw fail('OUT_OF_RANGE', 'no upload to resume; start at offset 0');
    }
    // Registered before any await so concurrent ranged streams of this upload find it.
    const spill = path.join(this.store.uploadsDir, `round-${r.round}-${cluster}-${++this.spills}.part`);
    const s = new UploadSession(cluster, decl, spill, this.global.manifest, this.global.size);
    r.sessions.set(cluster, s);
    await existing?.discard();
    return s;
  }

  private async reject(r: RoundState, cluster: string, s: UploadSession, e: DataPlaneError): Promise<void> {
    if (r.sessions.get(cluster) === s) r.sessions.delete(cluster);
    await s.discard();
    this.setClient(cluster, 'rejected', r.round, e.message);
    this.log.warn('update refused', { cluster, round: r.round, error: e.message });
  }

  /** Screen a verified update with the strategy and, if it passes, fold it (in arrival order). */
  private async count(r: RoundState, cluster: string, s: UploadSession): Promise<Screening> {
    const ctx = await this.roundContext(r);
    const update = await openSafetensorsUpdate(s.spillPath, {
      cluster,
      examples: s.decl.examples,
      expect: this.global.manifest,
    });
    const screening = await this.strategy.screen(update, ctx);
    if (!screening.accept) return screening;
    await this.strategy.fold(update, screening, ctx);
    r.counted.set(cluster, { update, session: s, screening });
    return screening;
  }

  /** Count a verified update: reserve the slot now, fold in order, answer once the strategy has it. */
  private async accept(
    r: RoundState,
    cluster: string,
    s: UploadSession,
  ): Promise<{ round: number; receivedBytes: number; sha256: string }> {
    if (r.closing || this.round !== r || Date.now() > r.deadline) {
      await this.reject(r, cluster, s, fail('FAILED_PRECONDITION', 'late'));
      this.setClient(cluster, 'straggler', r.round, `update arrived after round ${r.round} closed`);
      throw fail('FAILED_PRECONDITION', `round ${r.round} closed before the update completed`);
    }
    if (r.submitted.has(cluster))
      throw fail('ALREADY_EXISTS', `cluster ${cluster} already submitted for round ${r.round}`);
    const sub: Submission = {
      examples: s.decl.examples,
      metrics: { ...s.decl.metrics },
      sha256: s.decl.sha256,
    };
    r.submitted.set(cluster, sub);
    r.sessions.delete(cluster);
    const fold = this.foldChain.then(() => this.count(r, cluster, s));
    this.foldChain = fold.then(
      () => undefined,
      () => undefined,
    );
    let screening: Screening;
    try {
      screening = await fold;
    } catch (e) {
      r.submitted.delete(cluster);
      await s.discard();
      // Verified files should always fold; one that does not is refused and logged, never silent.
      const err = DataPlaneError.is(e)
        ? e
        : fail('INVALID_ARGUMENT', `update could not be read: ${(e as Error).message}`, e);
      this.setClient(cluster, 'rejected', r.round, err.message);
      this.log.error('update could not be aggregated', { cluster, round: r.round, error: e });
      throw err;
    }
    if (!screening.accept) {
      // Refused by the strategy (norm bound, non-finite delta): the round does not wait for it.
      r.submitted.delete(cluster);
      r.failed.set(cluster, screening.reason);
      r.refused.set(cluster, {
        reason: screening.reason,
        ...(screening.norm !== undefined ? { norm: screening.norm } : {}),
      });
      await s.discard();
      this.setClient(cluster, 'rejected', r.round, screening.reason);
      this.log.warn('update refused by the strategy', {
        cluster,
        round: r.round,
        strategy: this.strategy.name,
        reason: screening.reason,
      });
      void this.save();
      this.maybeClose();
      throw fail('INVALID_ARGUMENT', `update refused by ${this.strategy.name}: ${screening.reason}`);
    }
    if (screening.note) this.log.info('update adjusted', { cluster, round: r.round, note: screening.note });
    this.setClient(cluster, 'submitted', r.round, screening.note, s.decl.examples);
    this.log.info('update accepted', { cluster, round: r.round, examples: s.decl.examples });
    void this.save();
    this.maybeClose();
    return { round: r.round, receivedBytes: s.decl.size, sha256: s.decl.sha256 };
  }
}
