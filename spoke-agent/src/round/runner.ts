/**
 * Executes the round state machine (state.ts) for one task: performs the current step, turns
 * its outcome into an event, writes the status, repeats until the job is done or the signal
 * aborts. Transient failures retry the same step with capped exponential backoff and jitter.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { FederatedLearningTask, FederatedLearningTaskStatus } from '@ocm-fl/common/api/task.js';
import type { DataPlaneClient, Task } from '@ocm-fl/common/dataplane/client.js';
import { silentLogger, type Logger } from '@ocm-fl/common/logger.js';
import type { TrainInput } from '../trainer/trainer-driver.js';
import { TrainerFailure } from '../trainer/trainer-driver.js';
import { classifyStepError, retryDelayMs } from './classify.js';
import {
  INITIAL_STATE,
  taskStatus,
  transition,
  updateContext,
  type RoundTask,
  type RunnerEvent,
  type RunnerState,
  type StatusContext,
  type TrainedUpdate,
} from './state.js';

export type AggregatorClient = Pick<
  DataPlaneClient,
  'join' | 'getTask' | 'downloadModel' | 'uploadUpdate' | 'reportFailure' | 'heartbeat'
>;

export interface TrainerRunner {
  run(input: TrainInput, signal: AbortSignal): Promise<TrainedUpdate>;
}

export interface RunnerDeps {
  readonly aggregator: AggregatorClient;
  readonly trainer: TrainerRunner;
  /** The latest task object (from the informer cache). */
  readonly task: () => FederatedLearningTask | undefined;
  /** Called with the runner's status fields after every step; the caller writes only changes. */
  readonly onStatus: (status: FederatedLearningTaskStatus) => Promise<void>;
  /** This task's directory in the agent's work dir. */
  readonly workDir: string;
  readonly logger?: Logger;
  /** Backoff for failed steps; default 1 s doubling to 30 s. */
  readonly retry?: { readonly baseMs: number; readonly maxMs: number };
  /**
   * Delay between polls while waiting for a round when the aggregator does not hold long polls
   * (or one failed); default 1 s growing to 10 s.
   */
  readonly poll?: { readonly minMs: number; readonly maxMs: number };
  /** How long the aggregator may hold a GetTask long poll; default DEFAULT_LONG_POLL_SECONDS. */
  readonly longPollSeconds?: number;
  /** Step durations, for the per-round time split. */
  readonly onStepDone?: (step: RunnerState['step'], round: number, ms: number) => void;
}

/** GetTask long-poll length: under the aggregator's 30 s cap, well within idle-connection limits. */
export const DEFAULT_LONG_POLL_SECONDS = 25;

/** The loop's view of the aggregator's Task message. Pure. */
export function toRoundTask(t: Task): RoundTask {
  return {
    round: t.round,
    rounds: t.rounds,
    finished: t.finished,
    failed: t.failed,
    submitted: t.submitted,
    deadlineUnixMs: Number(t.deadlineUnixMs ?? 0),
    config: { ...(t.config ?? {}) },
    strategyConfig: { ...(t.strategyConfig ?? {}) },
    ...(t.model
      ? { model: { round: t.model.round, size: Number(t.model.size), sha256: t.model.sha256 } }
      : {}),
    message: t.message ?? '',
  };
}

async function fileSha256(file: string): Promise<string | undefined> {
  try {
    await stat(file);
  } catch {
    return undefined;
  }
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

export class TaskRunner {
  private state: RunnerState = INITIAL_STATE;
  private ctx: StatusContext = {};
  private joined = false;
  private waits = 0;
  private readonly log: Logger;

  constructor(private readonly d: RunnerDeps) {
    this.log = d.logger ?? silentLogger;
  }

  get current(): RunnerState {
    return this.state;
  }

  /** Run until the job is done (returns the final state) or `signal` aborts (rejects with its reason). */
  async run(signal: AbortSignal): Promise<RunnerState> {
    await this.d.onStatus(taskStatus(this.state, this.ctx));
    let attempt = 0;
    while (this.state.step !== 'done') {
      signal.throwIfAborted();
      const started = Date.now();
      let event: RunnerEvent;
      try {
        event = await this.perform(this.state, signal);
        attempt = 0;
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        const f = classifyStepError(this.state.step, e);
        if (f.kind === 'retry') {
          attempt++;
          const wait = retryDelayMs(attempt, this.d.retry?.baseMs ?? 1000, this.d.retry?.maxMs ?? 30_000);
          this.log.warn('step failed; retrying', {
            step: this.state.step,
            attempt,
            delayMs: wait,
            error: f.message,
          });
          this.ctx = {
            ...this.ctx,
            retrying: `${f.message} (retry ${attempt} in ${Math.round(wait / 1000)} s)`,
          };
          await this.d.onStatus(taskStatus(this.state, this.ctx)).catch(() => undefined);
          await delay(wait, undefined, { signal });
          continue;
        }
        event = { type: 'round-closed', message: f.message };
      }
      this.d.onStepDone?.(
        this.state.step,
        'round' in this.state ? this.state.round : 0,
        Date.now() - started,
      );
      await this.apply(event);
    }
    return this.state;
  }

  private async apply(event: RunnerEvent): Promise<void> {
    const prev = this.state;
    this.ctx = updateContext(this.ctx, prev, event);
    this.state = transition(prev, event);
    if (prev.step !== this.state.step)
      this.log.info('round step', {
        from: prev.step,
        to: this.state.step,
        event: event.type,
        round: 'round' in this.state ? this.state.round : undefined,
      });
    if (this.state.step === 'wait' && prev.step !== 'poll' && prev.step !== 'wait') {
      this.waits = 0;
      await rm(this.roundDir(prev.step === 'done' ? 0 : (prev as { round: number }).round), {
        recursive: true,
        force: true,
      });
    }
    await this.d.onStatus(taskStatus(this.state, this.ctx));
  }

  private roundDir(round: number): string {
    return path.join(this.d.workDir, `round-${round}`);
  }

  /**
   * Until there may be something to do after round `after`: a GetTask long poll, which the
   * aggregator answers as soon as the next round opens or the job ends. An answer without news
   * that came at once (an aggregator without long polls, a round still closing) or a failed
   * call falls back to the growing delay; the poll step that follows reports real errors.
   */
  private async waitForNews(after: number, signal: AbortSignal): Promise<void> {
    const started = Date.now();
    try {
      const t = await this.d.aggregator.getTask({
        signal,
        wait: { afterRound: after, seconds: this.d.longPollSeconds ?? DEFAULT_LONG_POLL_SECONDS },
      });
      if (t.finished || t.failed || t.round > after) return;
      if (Date.now() - started >= 1000) return; // the aggregator held the call: it supports waits
    } catch (e) {
      if (signal.aborted) throw e;
    }
    const { minMs, maxMs } = this.d.poll ?? { minMs: 1000, maxMs: 10_000 };
    const base = Math.min(maxMs, minMs * 1.5 ** this.waits++);
    await delay(Math.round(base * (0.8 + 0.4 * Math.random())), undefined, { signal });
  }

  private async perform(s: RunnerState, signal: AbortSignal): Promise<RunnerEvent> {
    const agg = this.d.aggregator;
    switch (s.step) {
      case 'poll': {
        if (!this.joined) {
          await agg.join({ signal });
          this.joined = true;
        }
        const t = toRoundTask(await agg.getTask({ signal }));
        return { type: 'task', task: t, now: Date.now() };
      }
      case 'download':
        return { type: 'downloaded', path: await this.download(s.round, s.task, signal) };
      case 'train':
        return this.train(s.round, s.task, s.modelPath, signal);
      case 'upload': {
        const u = s.update;
        // The handoff hashed the update while receiving it: no second pass over the file here.
        await agg.uploadUpdate(s.round, u.path, u.examples, { ...u.metrics }, { signal, sha256: u.digest });
        return { type: 'uploaded' };
      }
      case 'report-failure':
        await agg.reportFailure(s.round, s.reason, s.message, { signal });
        return { type: 'failure-reported' };
      case 'wait':
        await this.waitForNews(s.after, signal);
        return { type: 'waited' };
      case 'done':
        throw new Error('runner: nothing to do in step done');
    }
  }

  /** The round's input model, reusing a complete copy from before a restart. */
  private async download(round: number, t: RoundTask, signal: AbortSignal): Promise<string> {
    const dir = this.roundDir(round);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, 'model.safetensors');
    if (t.model?.sha256 && (await fileSha256(file)) === t.model.sha256) return file;
    await this.d.aggregator.downloadModel(round, file, { signal });
    return file;
  }

  private async train(
    round: number,
    t: RoundTask,
    modelPath: string,
    signal: AbortSignal,
  ): Promise<RunnerEvent> {
    const task = this.d.task();
    if (!task) throw new Error('task object is gone');
    const beat = this.heartbeat(round, signal);
    try {
      const update = await this.d.trainer.run(
        { task, round, roundTask: t, modelPath, roundDir: this.roundDir(round) },
        signal,
      );
      return { type: 'trained', update };
    } catch (e) {
      if (e instanceof TrainerFailure)
        return { type: 'trainer-failed', reason: e.reason, message: e.message };
      throw e;
    } finally {
      beat.abort();
    }
  }

  /** Best-effort liveness to the aggregator while the trainer runs. */
  private heartbeat(round: number, signal: AbortSignal): AbortController {
    const ac = new AbortController();
    const both = AbortSignal.any([ac.signal, signal]);
    void (async () => {
      while (!both.aborted) {
        await delay(10_000, undefined, { signal: both }).catch(() => undefined);
        if (both.aborted) return;
        await this.d.aggregator.heartbeat(round, 'training', { signal: both }).catch(() => undefined);
      }
    })();
    return ac;
  }
}
