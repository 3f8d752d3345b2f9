/** The slices of batch/v1 Job and v1 Secret the agent writes and reads. */
import type { Toleration } from '@ocm-fl/common/api/ocm.js';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import type { EnvVar } from '../handoff/trainer-env.js';

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}

export interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  emptyDir?: { sizeLimit?: string; medium?: string };
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: VolumeMount[];
  workingDir?: string;
  securityContext?: Record<string, unknown>;
}

export interface PodSpec {
  restartPolicy: 'Never' | 'OnFailure' | 'Always';
  containers: Container[];
  volumes?: Volume[];
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  securityContext?: Record<string, unknown>;
  terminationGracePeriodSeconds?: number;
}

export interface JobSpec {
  backoffLimit: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  template: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: PodSpec;
  };
}

export interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface JobStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
  conditions?: JobCondition[];
  startTime?: string;
  completionTime?: string;
}

export type Job = KubeObject<JobSpec, JobStatus>;

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
