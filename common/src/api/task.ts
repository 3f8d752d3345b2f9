import type { Condition, KubeObject } from './meta.js';

/**
 * FederatedLearningTask: created on a managed cluster by the hub (per-job ManifestWork),
 * executed by the spoke agent, status carried back by ManifestWork status feedback.
 * group federation-ai.open-cluster-management.io, version v1alpha1, namespaced.
 */
export interface TaskTrainer {
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value: string }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  nodeSelector?: Record<string, string>;
  tolerations?: Record<string, unknown>[];
}

export interface TaskData {
  /** Value of the cluster's ClusterClaim named in the placement's claimSelector. */
  location: string;
  /** Name of that ClusterClaim. */
  claim?: string;
  /** How the data location reaches the trainer: a hostPath (default) or an existing PVC. */
  volume?: { hostPath?: string; persistentVolumeClaim?: string; mountPath?: string };
}

export interface FederatedLearningTaskSpec {
  /** The hub FederatedLearning this task belongs to. */
  job: { namespace: string; name: string; uid?: string };
  cluster: string;
  aggregator: {
    /** host:port of the job's aggregator gRPC endpoint. */
    endpoint: string;
    /** TLS server name to verify, when it differs from the endpoint host. */
    serverName?: string;
  };
  trainer: TaskTrainer;
  data: TaskData;
  /** Free-form parameters handed to the trainer (epochs, learning rate, ...). */
  parameters?: Record<string, string | number | boolean>;
  rounds: number;
  /** Per-round limit for the trainer Job. */
  roundTimeoutSeconds?: number;
}

export type TaskPhase =
  'Pending' | 'Downloading' | 'Training' | 'Uploading' | 'Waiting' | 'Completed' | 'Failed';

export interface FederatedLearningTaskStatus {
  phase?: TaskPhase;
  round?: number;
  message?: string;
  lastError?: string;
  lastUpdate?: { round: number; digest: string; bytes: number; examples: number };
  metrics?: Record<string, number>;
  /** Expiry of the agent's client certificate (RFC 3339). */
  certificateExpiry?: string;
  conditions?: Condition[];
  observedGeneration?: number;
}

export type FederatedLearningTask = KubeObject<FederatedLearningTaskSpec, FederatedLearningTaskStatus>;

export const TASK_KIND = 'FederatedLearningTask';
export const TASK_PLURAL = 'federatedlearningtasks';

/** ManifestWork JSONPaths feedback rules the hub declares for a task (name → path). */
export const TASK_FEEDBACK_PATHS: Readonly<Record<string, string>> = {
  phase: '.status.phase',
  round: '.status.round',
  message: '.status.message',
  lastError: '.status.lastError',
  examples: '.status.lastUpdate.examples',
  digest: '.status.lastUpdate.digest',
  certificateExpiry: '.status.certificateExpiry',
  metrics: '.status.metrics',
};
