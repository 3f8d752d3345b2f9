/**
 * Task intake: watches FederatedLearningTask objects in the agent's namespace and keeps one
 * round runner per unfinished task. A deleted task stops its runner and loses its trainer
 * Jobs, token Secrets and work files.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { resolveAggregatorEndpoint } from '@ocm-fl/common/api/agent-config.js';
import { TASK_KIND, type FederatedLearningTask } from '@ocm-fl/common/api/task.js';
import {
  connect,
  type ConnectOptions,
  type DataPlaneClient,
  type TlsSource,
} from '@ocm-fl/common/dataplane/client.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { Informer } from '@ocm-fl/common/kube/informer.js';
import { silentLogger, type Logger } from '@ocm-fl/common/logger.js';
import { FL_API_VERSION } from '@ocm-fl/common/names.js';
import { TaskRunner, type RunnerDeps } from '../round/runner.js';
import type { RunnerState } from '../round/state.js';
import { taskSelector } from '../trainer/render-job.js';
import { TrainerDriver, type TrainerDriverDeps } from '../trainer/trainer-driver.js';
import { StatusWriter } from './status-writer.js';

export interface TaskControllerOptions {
  readonly kube: KubeClient;
  readonly namespace: string;
  /** Client certificate, key and CA, read for every new aggregator connection. */
  readonly tls: TlsSource;
  readonly certificateExpiry: () => Date | undefined;
  readonly handoff: TrainerDriverDeps['handoff'];
  readonly mirrors: TrainerDriverDeps['mirrors'];
  readonly workDir: string;
  readonly aggregatorDefaults?: { aggregatorHost?: string; aggregatorDnsSuffix?: string };
  readonly logger?: Logger;
  /** Tuning for tests; production uses the defaults. */
  readonly timing?: Pick<RunnerDeps, 'retry' | 'poll'> &
    Pick<TrainerDriverDeps, 'jobPollMs' | 'deadlineGraceMs'> & { dataplaneRetries?: number };
  readonly onStepDone?: RunnerDeps['onStepDone'];
  /** Replace the data-plane client (tests); default: mTLS gRPC. */
  readonly connect?: (o: ConnectOptions) => DataPlaneClient;
}

interface Running {
  readonly abort: AbortController;
  readonly done: Promise<void>;
  readonly runner: TaskRunner;
}

/** Why a task gets no runner, or undefined when it should run. Pure. */
export function skipReason(task: FederatedLearningTask): string | undefined {
  if (task.metadata.deletionTimestamp) return 'being deleted';
  const st = task.status;
  if (
    (st?.phase === 'Completed' || st?.phase === 'Failed') &&
    st.observedGeneration === task.metadata.generation
  )
    return `already ${st.phase}`;
  if (!task.spec) return 'no spec';
  return undefined;
}

export class TaskController {
  private readonly informer: Informer<FederatedLearningTask>;
  private readonly running = new Map<string, Running>();
  private readonly driver: TrainerDriver;
  private readonly log: Logger;
  private stopped = false;

  constructor(private readonly o: TaskControllerOptions) {
    this.log = o.logger ?? silentLogger;
    this.informer = new Informer<FederatedLearningTask>(o.kube, FL_API_VERSION, TASK_KIND, {
      namespace: o.namespace,
      logger: this.log,
    });
    this.driver = new TrainerDriver({
      kube: o.kube,
      handoff: o.handoff,
      mirrors: o.mirrors,
      logger: this.log,
      ...(o.timing?.jobPollMs ? { jobPollMs: o.timing.jobPollMs } : {}),
      ...(o.timing?.deadlineGraceMs !== undefined ? { deadlineGraceMs: o.timing.deadlineGraceMs } : {}),
    });
    this.informer.onChange((type, task) => this.onChange(type, task));
  }

  async start(): Promise<void> {
    await this.informer.start();
  }

  /** Stop watching and stop every runner; trainer Jobs keep running for the next agent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.informer.stop();
    const all = [...this.running.values()];
    for (const r of all) r.abort.abort(new Error('agent stopping'));
    await Promise.all(all.map((r) => r.done));
    await this.informer.stopped();
  }

  /** Current step of each task's runner. */
  states(): Record<string, RunnerState> {
    return Object.fromEntries([...this.running].map(([k, r]) => [k, r.runner.current]));
  }

  private onChange(type: 'ADDED' | 'MODIFIED' | 'DELETED', task: FederatedLearningTask): void {
    const name = task.metadata.name!;
    if (this.stopped) return;
    if (type === 'DELETED') return void this.forget(name);
    if (this.running.has(name)) return;
    const why = skipReason(task);
    if (why) {
      this.log.debug('task not run', { task: name, reason: why });
      return;
    }
    this.startRunner(task);
  }

  private startRunner(task: FederatedLearningTask): void {
    const name = task.metadata.name!;
    const log = this.log.child({ task: name });
    const spec = task.spec!;
    let client: DataPlaneClient;
    try {
      const endpoint = resolveAggregatorEndpoint(spec.aggregator.endpoint, this.o.aggregatorDefaults ?? {});
      client = (this.o.connect ?? connect)({
        endpoint,
        ...(spec.aggregator.serverName ? { serverName: spec.aggregator.serverName } : {}),
        tls: this.o.tls,
        logger: log,
        retry: { retries: this.o.timing?.dataplaneRetries ?? 3, baseMs: 200, maxMs: 2000 },
      });
    } catch (e) {
      log.error('cannot connect to the aggregator', { error: e });
      return;
    }
    const status = new StatusWriter(
      this.o.kube,
      { apiVersion: FL_API_VERSION, kind: TASK_KIND, name, namespace: this.o.namespace },
      this.o.certificateExpiry,
    );
    const runner = new TaskRunner({
      aggregator: client,
      trainer: this.driver,
      task: () => this.informer.get(name, this.o.namespace),
      onStatus: (s) =>
        status.write(s).catch((e: unknown) => {
          log.warn('status write failed', { error: e });
        }),
      workDir: path.join(this.o.workDir, name),
      logger: log,
      ...(this.o.timing?.retry ? { retry: this.o.timing.retry } : {}),
      ...(this.o.timing?.poll ? { poll: this.o.timing.poll } : {}),
      ...(this.o.onStepDone ? { onStepDone: this.o.onStepDone } : {}),
    });
    const abort = new AbortController();
    const done = runner
      .run(abort.signal)
      .then((final) => log.info('task finished', { phase: final.step === 'done' ? final.phase : final.step }))
      .catch((e: unknown) => {
        if (!abort.signal.aborted) log.error('task runner stopped', { error: e });
      })
      .finally(() => {
        client.close();
        if (this.running.get(name)?.runner === runner) this.running.delete(name);
      })
      .then(() => undefined);
    this.running.set(name, { abort, done, runner });
    log.info('task runner started', { aggregator: spec.aggregator.endpoint, rounds: spec.rounds });
  }

  private async forget(name: string): Promise<void> {
    const r = this.running.get(name);
    if (r) {
      r.abort.abort(new Error('task deleted'));
      await r.done;
    }
    const selector = taskSelector(name);
    try {
      for (const [apiVersion, kind] of [
        ['batch/v1', 'Job'],
        ['v1', 'Secret'],
      ] as const) {
        for (const obj of await this.o.kube.list(apiVersion, kind, {
          namespace: this.o.namespace,
          labelSelector: selector,
        })) {
          await this.o.kube.delete(apiVersion, kind, obj.metadata.name!, this.o.namespace, {
            propagationPolicy: 'Background',
          });
        }
      }
      await rm(path.join(this.o.workDir, name), { recursive: true, force: true });
      this.log.info('task deleted; trainer objects removed', { task: name });
    } catch (e) {
      this.log.warn('cleanup after task deletion failed', { task: name, error: e });
    }
  }
}
