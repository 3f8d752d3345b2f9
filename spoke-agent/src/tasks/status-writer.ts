/**
 * Writes a task's status through the status subresource, only when it changed. The runner
 * owns phase/round/message/lastError/lastUpdate/metrics; this adds certificateExpiry and
 * observedGeneration and keeps what an earlier agent run recorded (last update, metrics)
 * when the runner has nothing newer.
 */
import { isDeepStrictEqual } from 'node:util';
import type { FederatedLearningTask, FederatedLearningTaskStatus } from '@ocm-fl/common/api/task.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { isConflict } from '@ocm-fl/common/kube/errors.js';

/** The status to store, given the current one and the runner's fields. Pure. */
export function desiredStatus(
  current: FederatedLearningTaskStatus | undefined,
  runner: FederatedLearningTaskStatus,
  extra: { generation?: number; certificateExpiry?: Date },
): FederatedLearningTaskStatus {
  const out: FederatedLearningTaskStatus = { ...runner };
  for (const k of ['lastUpdate', 'metrics', 'lastError', 'conditions'] as const) {
    if (out[k] === undefined && current?.[k] !== undefined) (out as Record<string, unknown>)[k] = current[k];
  }
  if (extra.certificateExpiry) out.certificateExpiry = extra.certificateExpiry.toISOString();
  else if (current?.certificateExpiry) out.certificateExpiry = current.certificateExpiry;
  if (extra.generation !== undefined) out.observedGeneration = extra.generation;
  return out;
}

export class StatusWriter {
  private chain: Promise<void> = Promise.resolve();
  private last: FederatedLearningTaskStatus | undefined;

  constructor(
    private readonly kube: KubeClient,
    private readonly ref: { apiVersion: string; kind: string; name: string; namespace: string },
    private readonly certificateExpiry: () => Date | undefined,
  ) {}

  /** Queue a write; writes are applied in order, skipped when nothing changed. */
  write(runner: FederatedLearningTaskStatus): Promise<void> {
    const next = this.chain.then(() => this.writeNow(runner));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async writeNow(runner: FederatedLearningTaskStatus): Promise<void> {
    const { apiVersion, kind, name, namespace } = this.ref;
    if (this.last) {
      const expiry = this.certificateExpiry();
      const same = desiredStatus(this.last, runner, {
        ...(expiry ? { certificateExpiry: expiry } : {}),
        ...(this.last.observedGeneration !== undefined ? { generation: this.last.observedGeneration } : {}),
      });
      if (isDeepStrictEqual(same, this.last)) return;
    }
    for (let attempt = 0; ; attempt++) {
      const cur = await this.kube.get<FederatedLearningTask>(apiVersion, kind, name, namespace);
      if (!cur || cur.metadata.deletionTimestamp) return;
      const expiry = this.certificateExpiry();
      const want = desiredStatus(cur.status, runner, {
        ...(cur.metadata.generation !== undefined ? { generation: cur.metadata.generation } : {}),
        ...(expiry ? { certificateExpiry: expiry } : {}),
      });
      if (isDeepStrictEqual(cur.status ?? {}, want)) {
        this.last = want;
        return;
      }
      try {
        await this.kube.updateStatus({ ...cur, status: want });
        this.last = want;
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= 5) throw e;
      }
    }
  }

  /** The status last written or found current. */
  get lastWritten(): FederatedLearningTaskStatus | undefined {
    return this.last;
  }
}
