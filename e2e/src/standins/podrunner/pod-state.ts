/** In-memory state of the containers of one running pod and the Pod status derived from it (pure). */
import { setCondition, type Condition } from '@ocm-fl/common/api/meta.js';
import type { ContainerHandle, Exit } from './process.js';
import type { PulledImage } from './runc/image-store.js';
import type { PodNetwork } from './runc/host-slot.js';
import type { Container, ContainerState, ContainerStatus, Pod, PodStatus } from './types.js';
import type { VolumeLayout } from './volumes.js';

export interface ContainerRun {
  spec: Container;
  proc?: ContainerHandle;
  state: ContainerState;
  lastState: ContainerState;
  restartCount: number;
  ready: boolean;
  backoffMs: number;
  restartTimer?: NodeJS.Timeout;
  probeTimer?: NodeJS.Timeout;
}

export interface PodRun {
  uid: string;
  dir: string;
  root: string;
  ip: string;
  startTime: string;
  layout?: VolumeLayout;
  /** Why containers cannot start (unknown image, missing ConfigMap…), shown as a waiting reason. */
  waiting?: { reason: string; message: string };
  containers: Map<string, ContainerRun>;
  stopping: boolean;
  /** runc mode: the pod's network namespace and the images its containers run. */
  net?: PodNetwork;
  images?: Map<string, PulledImage>;
  /** runc mode: failed pulls so far (the first is ErrImagePull, later ones ImagePullBackOff). */
  pullFailures?: number;
  /** Init containers run one after another before the containers; `next` is the one to run. */
  init?: { next: number; proc?: ContainerHandle; failed?: { name: string; exitCode: number } };
}

export const iso = (d = new Date()): string => d.toISOString().replace(/\.\d+Z$/, 'Z');

export function terminatedState(e: Exit, startedAt: Date): ContainerState {
  return {
    terminated: {
      exitCode: e.code,
      reason:
        e.code === 0
          ? 'Completed'
          : e.signal === 'spawn-error'
            ? 'StartError'
            : e.signal === 'OOMKilled'
              ? 'OOMKilled'
              : 'Error',
      ...(e.signal && e.signal !== 'OOMKilled' ? { message: `signal ${e.signal}` } : {}),
      startedAt: iso(startedAt),
      finishedAt: iso(e.at),
    },
  };
}

function phaseOf(pod: Pod, run: PodRun): PodStatus['phase'] {
  if (run.init?.failed) return 'Failed';
  if (run.waiting) return 'Pending';
  const states = [...run.containers.values()];
  const allDone = states.length > 0 && states.every((c) => c.state.terminated && !c.restartTimer);
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (allDone && policy !== 'Always')
    return states.every((c) => c.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
  return states.some((c) => c.state.running || c.state.terminated || c.restartTimer) ? 'Running' : 'Pending';
}

export function podStatus(pod: Pod, run: PodRun, now = new Date()): PodStatus {
  const phase = phaseOf(pod, run);
  const containerStatuses: ContainerStatus[] = (pod.spec?.containers ?? []).map((c) => {
    const r = run.containers.get(c.name);
    const state: ContainerState = run.waiting
      ? { waiting: run.waiting }
      : (r?.state ?? { waiting: { reason: 'ContainerCreating' } });
    return {
      name: c.name,
      image: c.image,
      imageID: '',
      ready: r?.ready ?? false,
      started: Boolean(r?.state.running),
      restartCount: r?.restartCount ?? 0,
      state,
      lastState: r?.lastState ?? {},
    };
  });
  const allReady =
    containerStatuses.length > 0 && containerStatuses.every((c) => c.ready) && phase === 'Running';
  const flag = (b: boolean): Condition['status'] => (b ? 'True' : 'False');
  let conditions = pod.status?.conditions;
  conditions = setCondition(
    conditions,
    { type: 'PodScheduled', status: 'True', reason: '', message: '' },
    now,
  );
  conditions = setCondition(
    conditions,
    { type: 'Initialized', status: 'True', reason: '', message: '' },
    now,
  );
  conditions = setCondition(
    conditions,
    {
      type: 'ContainersReady',
      status: flag(allReady),
      reason: allReady ? '' : 'ContainersNotReady',
      message: '',
    },
    now,
  );
  conditions = setCondition(
    conditions,
    { type: 'Ready', status: flag(allReady), reason: allReady ? '' : 'ContainersNotReady', message: '' },
    now,
  );
  const initFailed = run.init?.failed;
  return {
    phase,
    ...(run.waiting ? { reason: run.waiting.reason, message: run.waiting.message } : {}),
    ...(initFailed
      ? {
          reason: 'Init:Error',
          message: `init container ${initFailed.name} exited with ${initFailed.exitCode}`,
        }
      : {}),
    hostIP: '127.0.0.1',
    podIP: run.ip,
    podIPs: [{ ip: run.ip }],
    startTime: run.startTime,
    conditions,
    containerStatuses,
  };
}
