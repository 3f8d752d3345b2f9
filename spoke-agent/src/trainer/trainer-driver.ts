/**
 * Runs one round's trainer as a Kubernetes Job and collects its update through the handoff
 * server. Re-attaches to a Job that survived an agent restart: the round token lives in the
 * round's Secret and the handoff work files in the agent's work dir, so the same trainer can
 * still upload. On abort (agent shutdown) the Job is left running for the next agent.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ImageMirror } from '@ocm-fl/common/api/ocm.js';
import type { FederatedLearningTask } from '@ocm-fl/common/api/task.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { isAlreadyExists } from '@ocm-fl/common/kube/errors.js';
import { silentLogger, type Logger } from '@ocm-fl/common/logger.js';
import { newToken } from '../handoff/token.js';
import { ENV } from '../handoff/trainer-env.js';
import {
  TrainerFailedError,
  type OpenRoundOptions,
  type RoundHandle,
  type RoundResult,
  type TrainerTask,
} from '../handoff/types.js';
import type { FailureReason, RoundTask, TrainedUpdate } from '../round/state.js';
import { jobOutcome } from './job-status.js';
import type { Job, Secret } from './job-types.js';
import {
  DEFAULT_ROUND_TIMEOUT_SECONDS,
  renderTokenSecret,
  renderTrainerJob,
  tokenFromSecret,
  trainerJobName,
} from './render-job.js';

/** The slice of HandoffServer the driver needs. */
export interface HandoffRounds {
  openRound(opts: OpenRoundOptions): Promise<RoundHandle>;
}

export interface TrainerDriverDeps {
  readonly kube: KubeClient;
  readonly handoff: HandoffRounds;
  readonly mirrors: readonly ImageMirror[];
  readonly logger?: Logger;
  /** How often the Job is read while waiting; default 1 s. */
  readonly jobPollMs?: number;
  /** Time allowed past the Job's deadline before the agent itself gives up; default 15 s. */
  readonly deadlineGraceMs?: number;
}

export interface TrainInput {
  readonly task: FederatedLearningTask;
  readonly round: number;
  readonly roundTask: RoundTask;
  readonly modelPath: string;
  /** Agent-side directory of this round; the handoff files go under it. */
  readonly roundDir: string;
}

/** The trainer did not produce an update for the round. */
export class TrainerFailure extends Error {
  override name = 'TrainerFailure';
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
  }
}

const JOB = ['batch/v1', 'Job'] as const;

/** Seconds the Job may run: the task's round timeout, never past the aggregator's deadline. */
export function jobDeadlineSeconds(task: FederatedLearningTask, roundTask: RoundTask, now: number): number {
  const spec = task.spec?.roundTimeoutSeconds ?? DEFAULT_ROUND_TIMEOUT_SECONDS;
  if (roundTask.deadlineUnixMs <= 0) return spec;
  return Math.max(1, Math.min(spec, Math.floor((roundTask.deadlineUnixMs - now) / 1000)));
}

/** The task document the trainer reads from the handoff (`GET /task`). Pure. */
export function trainerTask(input: TrainInput, dataDir: string): TrainerTask {
  const spec = input.task.spec!;
  const { roundTask } = input;
  return {
    round: input.round,
    rounds: roundTask.rounds || spec.rounds,
    job: { namespace: spec.job.namespace, name: spec.job.name },
    cluster: spec.cluster,
    // The aggregator's configuration is the job's; the task's typed parameters refine it.
    parameters: { ...roundTask.config, ...(spec.parameters ?? {}) },
    strategy: { ...roundTask.strategyConfig },
    data: { location: spec.data.location, dir: dataDir },
    ...(roundTask.deadlineUnixMs > 0 ? { deadline: new Date(roundTask.deadlineUnixMs).toISOString() } : {}),
  };
}

function toUpdate(r: RoundResult): TrainedUpdate {
  return {
    path: r.updatePath,
    digest: r.digest,
    bytes: r.bytes,
    examples: r.examples,
    metrics: { ...r.metrics },
  };
}

/** The result if the round already holds one (persisted before an agent restart). */
async function settledResult(handle: RoundHandle): Promise<RoundResult | undefined> {
  const none = Symbol('none');
  const r = await Promise.race([
    handle.result.catch(() => none),
    new Promise<typeof none>((res) => setImmediate(() => res(none))),
  ]);
  return r === none ? undefined : (r as RoundResult);
}

export class TrainerDriver {
  private readonly log: Logger;

  constructor(private readonly d: TrainerDriverDeps) {
    this.log = d.logger ?? silentLogger;
  }

  /** Train `input.round`; resolves with the update or throws TrainerFailure (or the abort reason). */
  async run(input: TrainInput, signal: AbortSignal): Promise<TrainedUpdate> {
    const { task, round } = input;
    const ns = task.metadata.namespace!;
    const name = trainerJobName(task.metadata.name!, round);
    let job: Job;
    try {
      job = renderTrainerJob({
        task,
        round,
        handoffUrl: 'http://placeholder',
        mirrors: this.d.mirrors,
        activeDeadlineSeconds: jobDeadlineSeconds(task, input.roundTask, Date.now()),
      });
    } catch (e) {
      throw new TrainerFailure(
        'OTHER',
        `cannot render the trainer Job: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    let existing = await this.d.kube.get<Job>(...JOB, name, ns);
    const secret = await this.d.kube.get<Secret>('v1', 'Secret', name, ns);
    let token = tokenFromSecret(secret);
    if (existing && (!token || jobOutcome(existing).state === 'succeeded')) {
      // A Job we cannot talk to (token lost) or that ended without our seeing its update: re-run.
      this.log.info('replacing trainer Job from an earlier agent run', { job: name, round });
      await this.deleteRound(ns, name, false);
      existing = undefined;
      token = undefined;
    }
    token ??= newToken();
    const dataDir = job.spec!.template.spec.containers[0]!.env!.find((e) => e.name === ENV.dataDir)!.value!;
    const handle = await this.d.handoff.openRound({
      roundId: name,
      token,
      task: trainerTask(input, dataDir),
      modelPath: input.modelPath,
      workDir: `${input.roundDir}/handoff`,
    });
    let keepJob = false;
    try {
      const done = await settledResult(handle);
      if (done) return toUpdate(done);
      if (existing) {
        const outcome = jobOutcome(existing);
        if (outcome.state === 'failed') throw this.failure(outcome.reason, outcome.message);
        this.log.info('re-attached to a running trainer Job', { job: name, round });
        job = existing;
      } else {
        job = renderTrainerJob({
          task,
          round,
          handoffUrl: handle.url,
          mirrors: this.d.mirrors,
          activeDeadlineSeconds: job.spec!.activeDeadlineSeconds!,
        });
        if (!secret || tokenFromSecret(secret) !== token)
          await this.createReplacing(renderTokenSecret(task, round, token));
        job = await this.createReplacing(job);
        this.log.info('trainer Job created', {
          job: name,
          round,
          image: job.spec!.template.spec.containers[0]!.image,
        });
      }
      const result = await this.await(handle, job, signal);
      await this.letExit(job, signal);
      return toUpdate(result);
    } catch (e) {
      keepJob = signal.aborted;
      throw e;
    } finally {
      await handle.close(signal.aborted ? 'agent stopping' : 'round finished');
      if (!keepJob) await this.deleteRound(ns, name, true);
    }
  }

  private failure(reason: 'crashed' | 'timed-out', message: string): TrainerFailure {
    return new TrainerFailure(reason === 'timed-out' ? 'TRAINER_TIMED_OUT' : 'TRAINER_CRASHED', message);
  }

  /** Wait for the update, a failed Job, the agent-side deadline, or abort. */
  private async await(handle: RoundHandle, job: Job, signal: AbortSignal): Promise<RoundResult> {
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = handle.result.catch((e: unknown) => {
        if (e instanceof TrainerFailedError)
          throw new TrainerFailure('TRAINER_CRASHED', `trainer reported failure: ${e.message}`);
        throw e;
      });
      return await Promise.race([result, this.watchJob(job, handle, stop.signal), abortPromise(signal)]);
    } finally {
      stop.abort();
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Rejects when the Job fails, vanishes, ends without an update, or outlives its deadline. */
  private async watchJob(job: Job, handle: RoundHandle, signal: AbortSignal): Promise<never> {
    const pollMs = this.d.jobPollMs ?? 1000;
    const started = Date.parse(job.status?.startTime ?? job.metadata.creationTimestamp ?? '') || Date.now();
    const limit =
      started +
      (job.spec!.activeDeadlineSeconds ?? DEFAULT_ROUND_TIMEOUT_SECONDS) * 1000 +
      (this.d.deadlineGraceMs ?? 15_000);
    const name = job.metadata.name!;
    const ns = job.metadata.namespace!;
    for (;;) {
      await delay(pollMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return new Promise<never>(() => undefined);
      const cur = await this.d.kube.get<Job>(...JOB, name, ns).catch((e: unknown) => {
        this.log.warn('cannot read trainer Job', { job: name, error: e });
        return job;
      });
      if (!cur)
        throw new TrainerFailure(
          'TRAINER_CRASHED',
          `trainer Job ${name} was deleted before it produced an update`,
        );
      const outcome = jobOutcome(cur);
      if (outcome.state === 'failed') throw this.failure(outcome.reason, outcome.message);
      if (outcome.state === 'succeeded') {
        // The update is accepted before the trainer exits; allow for a slow last write.
        const r = await Promise.race([
          handle.result,
          delay(5000, undefined, { signal }).then(() => undefined),
        ]).catch(() => undefined);
        if (signal.aborted) return new Promise<never>(() => undefined);
        if (!r)
          throw new TrainerFailure(
            'TRAINER_CRASHED',
            'trainer exited successfully without uploading an update',
          );
      }
      if (Date.now() > limit)
        throw new TrainerFailure(
          'TRAINER_TIMED_OUT',
          `trainer exceeded its deadline of ${job.spec!.activeDeadlineSeconds} s`,
        );
    }
  }

  /** Give the trainer a moment to exit on its own after its update was accepted. */
  private async letExit(job: Job, signal: AbortSignal): Promise<void> {
    const until = Date.now() + 10_000;
    while (Date.now() < until && !signal.aborted) {
      const cur = await this.d.kube
        .get<Job>(...JOB, job.metadata.name!, job.metadata.namespace)
        .catch(() => undefined);
      if (!cur || jobOutcome(cur).state !== 'running') return;
      await delay(this.d.jobPollMs ?? 1000, undefined, { signal }).catch(() => undefined);
    }
  }

  private async createReplacing<T extends Job | Secret>(obj: T): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await this.d.kube.create(obj);
      } catch (e) {
        // The previous object of that name may still be terminating.
        if (!isAlreadyExists(e) || i >= 50) throw e;
        await this.d.kube.delete(obj.apiVersion, obj.kind, obj.metadata.name!, obj.metadata.namespace, {
          propagationPolicy: 'Background',
        });
        await delay(200);
      }
    }
  }

  /** Delete the round's Job (and its pods) and token Secret; errors are logged, not thrown. */
  async deleteRound(ns: string, name: string, quiet: boolean): Promise<void> {
    for (const [apiVersion, kind] of [JOB, ['v1', 'Secret'] as const]) {
      try {
        await this.d.kube.delete(apiVersion, kind, name, ns, { propagationPolicy: 'Background' });
      } catch (e) {
        if (!quiet) throw e;
        this.log.warn('cannot delete trainer object', { kind, name, error: e });
      }
    }
  }
}

function abortPromise(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_res, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
