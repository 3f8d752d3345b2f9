/**
 * core/v1 Events deduplicated the way Kubernetes' recorder does: the same involved object,
 * type, reason and message is one Event whose `count` and `lastTimestamp` grow, not a new
 * object each time. The name is derived from that key, so dedup holds across restarts and
 * replicas too: create, and on AlreadyExists bump the existing one.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { isAlreadyExists, isConflict, isNotFound } from '@ocm-fl/common/kube/errors.js';

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
  uid?: string;
}

export interface EventNote {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface CoreEvent extends KubeObject {
  involvedObject: InvolvedObject;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  source: { component: string };
  reportingComponent: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

/** Kubernetes caps Event messages at 1 KiB in its recorder; longer ones are cut. */
const MAX_MESSAGE = 1024;

/** The Event for a first occurrence. Pure: its name is a digest of the dedup key. */
export function newEvent(
  involved: InvolvedObject,
  note: EventNote,
  o: { namespace: string; component: string; now: Date },
): CoreEvent {
  const message = note.message.slice(0, MAX_MESSAGE);
  const key = [
    involved.kind,
    involved.namespace ?? '',
    involved.name ?? '',
    involved.uid ?? '',
    note.type,
    note.reason,
    message,
  ];
  const h = createHash('sha256').update(key.join('\n')).digest('hex').slice(0, 16);
  const at = o.now.toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${(involved.name ?? involved.kind.toLowerCase()).slice(0, 200)}.${h}`,
      namespace: o.namespace,
    },
    involvedObject: involved,
    reason: note.reason,
    message,
    type: note.type,
    source: { component: o.component },
    reportingComponent: o.component,
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}

export class EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Record one occurrence. Namespaced objects get their Events in their namespace; for
   * cluster-scoped ones pass `namespace` ("default", as client-go's recorder does).
   */
  async record(involved: InvolvedObject, note: EventNote, namespace?: string): Promise<CoreEvent> {
    const ns = namespace ?? involved.namespace ?? 'default';
    const ev = newEvent(involved, note, { namespace: ns, component: this.component, now: this.now() });
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.client.create(ev);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
      const cur = await this.client.get<CoreEvent>('v1', 'Event', ev.metadata.name ?? '', ns);
      if (!cur) continue; // expired between the two calls: create again
      try {
        return await this.client.update<CoreEvent>({
          ...cur,
          count: (cur.count ?? 1) + 1,
          lastTimestamp: ev.lastTimestamp,
        });
      } catch (e) {
        // Another replica bumped it at the same moment: one retry from a fresh read.
        if (!(isConflict(e) || isNotFound(e)) || attempt >= 2) throw e;
      }
    }
  }
}
