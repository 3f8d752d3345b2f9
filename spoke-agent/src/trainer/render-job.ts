/**
 * Pure renderer of a round's trainer Job and the Secret that carries its handoff token
 * (../../TRAINER.md). Deterministic: the same input gives the same objects. The Job gets no
 * hub credentials: no Secret volume, no service-account token, only the round token through
 * one Secret-backed env var.
 */
import { createHash } from 'node:crypto';
import type { ImageMirror, Toleration } from '@ocm-fl/common/api/ocm.js';
import type { OwnerReference } from '@ocm-fl/common/api/meta.js';
import { TASK_KIND, type FederatedLearningTask } from '@ocm-fl/common/api/task.js';
import { FL_API_VERSION, FL_GROUP } from '@ocm-fl/common/names.js';
import { ENV, trainerEnv, type EnvVar } from '../handoff/trainer-env.js';
import { mirrorImage } from './image-mirror.js';
import type { Container, Job, Secret, Volume, VolumeMount } from './job-types.js';

export const TASK_LABEL = `${FL_GROUP}/task`;
export const ROUND_LABEL = `${FL_GROUP}/round`;
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const MANAGED_BY = 'fl-agent';
export const TOKEN_KEY = 'token';
/** Selects every trainer Job and token Secret the agent made. */
export const TRAINER_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY},${COMPONENT_LABEL}=trainer`;

export const DEFAULT_DATA_MOUNT = '/data';
export const SCRATCH_MOUNT = '/scratch';
export const DEFAULT_ROUND_TIMEOUT_SECONDS = 3600;
export const TTL_AFTER_FINISHED_SECONDS = 600;
/** The UID/GID trainers run as (distroless `nonroot`), so images without a USER still run non-root. */
export const TRAINER_UID = 65532;

const RESERVED_ENV = new Set<string>(Object.values(ENV));

export interface RenderJobInput {
  readonly task: FederatedLearningTask;
  readonly round: number;
  /** Handoff base URL of this round (`.../v1/rounds/<id>`), FL_HANDOFF_URL. */
  readonly handoffUrl: string;
  readonly mirrors: readonly ImageMirror[];
  /** Seconds the Job may run; default spec.roundTimeoutSeconds, else one hour. */
  readonly activeDeadlineSeconds?: number;
}

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 8);
}

/** `fl-<task>-r<round>`, shortened with a hash of the task name to stay a 63-character DNS label. */
export function trainerJobName(taskName: string, round: number): string {
  const suffix = `-r${round}`;
  const full = `fl-${taskName}${suffix}`;
  if (full.length <= 63) return full;
  const keep = 63 - 'fl-'.length - suffix.length - 9;
  const head = taskName.slice(0, keep).replace(/[-.]+$/, '');
  return `fl-${head}-${shortHash(taskName)}${suffix}`;
}

/** Label value for the task (a name can be 253 characters; a label value at most 63). */
export function taskLabelValue(taskName: string): string {
  if (taskName.length <= 63 && !taskName.includes('.')) return taskName;
  return `${taskName.slice(0, 54).replace(/[-.]+$/, '')}-${shortHash(taskName)}`;
}

export function trainerLabels(taskName: string, round: number): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [COMPONENT_LABEL]: 'trainer',
    [TASK_LABEL]: taskLabelValue(taskName),
    [ROUND_LABEL]: String(round),
  };
}

/** Label selector of one task's trainer objects (any round). */
export function taskSelector(taskName: string): string {
  return `${TRAINER_SELECTOR},${TASK_LABEL}=${taskLabelValue(taskName)}`;
}

function ownerRefs(task: FederatedLearningTask): OwnerReference[] | undefined {
  const uid = task.metadata.uid;
  if (!uid) return undefined;
  return [
    {
      apiVersion: FL_API_VERSION,
      kind: TASK_KIND,
      name: task.metadata.name!,
      uid,
      blockOwnerDeletion: false,
    },
  ];
}

function meta(task: FederatedLearningTask, round: number): Job['metadata'] {
  const owners = ownerRefs(task);
  return {
    name: trainerJobName(task.metadata.name!, round),
    namespace: task.metadata.namespace!,
    labels: trainerLabels(task.metadata.name!, round),
    ...(owners ? { ownerReferences: owners } : {}),
  };
}

function dataVolume(task: FederatedLearningTask): { volume?: Volume; mount?: VolumeMount; dir: string } {
  const data = task.spec!.data;
  const dir = data.volume?.mountPath || DEFAULT_DATA_MOUNT;
  if (!dir.startsWith('/')) throw new Error(`spec.data.volume.mountPath: "${dir}" must be an absolute path`);
  const mount: VolumeMount = { name: 'data', mountPath: dir, readOnly: true };
  const claim = data.volume?.persistentVolumeClaim;
  if (claim)
    return {
      volume: { name: 'data', persistentVolumeClaim: { claimName: claim, readOnly: true } },
      mount,
      dir,
    };
  const hostPath = data.volume?.hostPath || data.location;
  if (data.volume?.hostPath !== undefined && !hostPath.startsWith('/')) {
    throw new Error(`spec.data.volume.hostPath: "${hostPath}" must be an absolute path`);
  }
  // A location that is not a path (a bucket URL, a partition name) is passed as FL_DATA_LOCATION only.
  if (!hostPath.startsWith('/')) return { dir };
  return { volume: { name: 'data', hostPath: { path: hostPath } }, mount, dir };
}

function userEnv(task: FederatedLearningTask): EnvVar[] {
  return (task.spec!.trainer.env ?? []).map((e, i) => {
    if (!e.name) throw new Error(`spec.trainer.env[${i}].name: required`);
    if (RESERVED_ENV.has(e.name))
      throw new Error(`spec.trainer.env[${i}].name: ${e.name} is set by the agent`);
    return { name: e.name, value: e.value ?? '' };
  });
}

function validate(input: RenderJobInput): void {
  const { task, round } = input;
  if (!task.metadata.name || !task.metadata.namespace)
    throw new Error('metadata: name and namespace required');
  if (!task.spec) throw new Error('spec: required');
  if (!task.spec.trainer?.image) throw new Error('spec.trainer.image: required');
  if (!Number.isInteger(round) || round < 1) throw new Error(`round: ${round} must be a positive integer`);
  const deadline = input.activeDeadlineSeconds;
  if (deadline !== undefined && (!Number.isInteger(deadline) || deadline < 1)) {
    throw new Error(`activeDeadlineSeconds: ${deadline} must be a positive integer`);
  }
}

function trainerContainer(input: RenderJobInput, data: ReturnType<typeof dataVolume>): Container {
  const { task, round } = input;
  const t = task.spec!.trainer;
  const env = [
    ...userEnv(task),
    ...trainerEnv({
      url: input.handoffUrl,
      round,
      dataDir: data.dir,
      dataLocation: task.spec!.data.location,
      workDir: SCRATCH_MOUNT,
      token: { secretName: trainerJobName(task.metadata.name!, round), key: TOKEN_KEY },
    }),
    // Read-only root filesystem: point tools that write caches at the scratch volume.
    { name: 'HOME', value: SCRATCH_MOUNT },
    { name: 'TMPDIR', value: '/tmp' },
  ];
  const mounts: VolumeMount[] = [
    ...(data.mount ? [data.mount] : []),
    { name: 'scratch', mountPath: SCRATCH_MOUNT },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  return {
    name: 'trainer',
    image: mirrorImage(input.mirrors, t.image),
    imagePullPolicy: 'IfNotPresent',
    ...(t.command?.length ? { command: [...t.command] } : {}),
    ...(t.args?.length ? { args: [...t.args] } : {}),
    env,
    ...(t.resources ? { resources: structuredClone(t.resources) } : {}),
    volumeMounts: mounts,
    workingDir: SCRATCH_MOUNT,
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    },
  };
}

/** The trainer Job of `round`. Throws naming the task field at fault. */
export function renderTrainerJob(input: RenderJobInput): Job {
  validate(input);
  const { task, round } = input;
  const t = task.spec!.trainer;
  const data = dataVolume(task);
  const volumes: Volume[] = [
    ...(data.volume ? [data.volume] : []),
    { name: 'scratch', emptyDir: {} },
    { name: 'tmp', emptyDir: {} },
  ];
  const labels = trainerLabels(task.metadata.name!, round);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(task, round),
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds:
        input.activeDeadlineSeconds ?? task.spec!.roundTimeoutSeconds ?? DEFAULT_ROUND_TIMEOUT_SECONDS,
      ttlSecondsAfterFinished: TTL_AFTER_FINISHED_SECONDS,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 10,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: TRAINER_UID,
            runAsGroup: TRAINER_UID,
            fsGroup: TRAINER_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [trainerContainer(input, data)],
          volumes,
          ...(t.nodeSelector && Object.keys(t.nodeSelector).length
            ? { nodeSelector: { ...t.nodeSelector } }
            : {}),
          ...(t.tolerations?.length ? { tolerations: structuredClone(t.tolerations) as Toleration[] } : {}),
        },
      },
    },
  };
}

/** The Secret holding the round token the Job's FL_HANDOFF_TOKEN references. */
export function renderTokenSecret(task: FederatedLearningTask, round: number, token: string): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(task, round),
    type: 'Opaque',
    data: { [TOKEN_KEY]: Buffer.from(token, 'utf8').toString('base64') },
  };
}

/** The token stored in a Secret made by renderTokenSecret, or undefined. */
export function tokenFromSecret(secret: Secret | undefined): string | undefined {
  const b64 = secret?.data?.[TOKEN_KEY];
  if (b64) return Buffer.from(b64, 'base64').toString('utf8');
  return secret?.stringData?.[TOKEN_KEY];
}
