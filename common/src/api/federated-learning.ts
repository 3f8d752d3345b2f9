/**
 * FederatedLearning (hub, namespaced): group federation-ai.open-cluster-management.io, v1alpha1.
 * Keeps every field of the upstream OCM federated-learning controller (addon-contrib) so its
 * samples apply unchanged, and adds strategy, deadlines, failure policy, training parameters,
 * evaluation, conditions, per-client and per-round status. The schema is in
 * crds/federated-learning-crd.ts; keep the two in step.
 */
import type { Condition, KubeObject } from './meta.js';
import type { PlacementSpec } from './ocm.js';

export const FL_KIND = 'FederatedLearning';
export const FL_PLURAL = 'federatedlearnings';
export const FL_SINGULAR = 'federatedlearning';
/** Finalizer the hub-manager puts on each FederatedLearning to clean up what it created. */
export const FL_FINALIZER = 'federation-ai.open-cluster-management.io/cleanup';

/** `native` is this project's aggregator and agent protocol; the others come in a later issue. */
export const FRAMEWORKS = ['native', 'flower', 'openfl', 'other'] as const;
export type Framework = (typeof FRAMEWORKS)[number];
export const DEFAULT_FRAMEWORK: Framework = 'native';
export const SUPPORTED_FRAMEWORKS: readonly Framework[] = ['native'];

/** Upstream has LoadBalancer, NodePort, Route; ClusterIP is added for single-network fleets. */
export const LISTENER_TYPES = ['LoadBalancer', 'NodePort', 'ClusterIP', 'Route'] as const;
export type ListenerType = (typeof LISTENER_TYPES)[number];

export const STORAGE_TYPES = ['PersistentVolumeClaim', 'HostPath', 'S3Bucket'] as const;
export type StorageType = (typeof STORAGE_TYPES)[number];

/** Aggregation strategies (hub-manager/src/aggregator/strategy/README.md). */
export const STRATEGIES = [
  'FedAvg',
  'FedProx',
  'FedAvgM',
  'FedAdam',
  'FedYogi',
  'FedAdagrad',
  'FedMedian',
  'FedTrimmedAvg',
  'Krum',
  'MultiKrum',
] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export const CLIENT_LOSS_POLICIES = ['Replace', 'Continue', 'Fail'] as const;
export type ClientLossPolicy = (typeof CLIENT_LOSS_POLICIES)[number];

export type ParameterValue = string | number | boolean;

export interface ListenerSpec {
  name?: string;
  port?: number;
  type?: ListenerType;
  /** Bind/advertised IP for NodePort listeners (upstream). */
  ip?: string;
}

export interface ModelStorageSpec {
  type?: StorageType;
  /** PVC name (PersistentVolumeClaim) or host directory name. */
  name?: string;
  /** Where the storage is mounted in the aggregator; the job's files go below it. */
  path?: string;
  size?: string;
  storageClassName?: string;
  s3?: { bucketName: string; region?: string; prefix?: string };
}

export interface ResourceRequirements {
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
}

export interface ServerSpec {
  image?: string;
  rounds?: number;
  minAvailableClients?: number;
  listeners?: ListenerSpec[];
  storage?: ModelStorageSpec;
  /** Upstream Flower fields; kept so upstream CRs validate. */
  superlink?: string;
  /** Path (relative to the job's storage directory) of an initial global model. */
  initialModel?: string;
  resources?: ResourceRequirements;
}

export interface ClientSpec {
  /** Trainer image run on each managed cluster. */
  image?: string;
  placement?: PlacementSpec;
  command?: string[];
  args?: string[];
  env?: { name: string; value: string }[];
  resources?: ResourceRequirements;
  /** Upstream Flower field; kept so upstream CRs validate. */
  supernode?: string;
}

export interface EvaluationSpec {
  /** Image of the evaluation Job; default `spec.client.image`. */
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value: string }[];
}

export interface FederatedLearningSpec {
  framework?: Framework;
  server?: ServerSpec;
  client?: ClientSpec;
  strategy?: { name?: StrategyName; parameters?: Record<string, ParameterValue> };
  /** Deadline for one round, from the model broadcast to the last accepted update. */
  roundTimeoutSeconds?: number;
  /** Updates needed to close a round; default `server.minAvailableClients`. */
  minClientsPerRound?: number;
  failurePolicy?: { onClientLoss?: ClientLossPolicy; maxRoundRetries?: number };
  training?: { parameters?: Record<string, ParameterValue> };
  evaluation?: EvaluationSpec;
}

export type FlPhase = 'Waiting' | 'Running' | 'Completed' | 'Failed';

/** Condition types on FederatedLearning status. */
export const FL_CONDITIONS = {
  clientsSelected: 'ClientsSelected',
  aggregatorReady: 'AggregatorReady',
  training: 'Training',
  evaluated: 'Evaluated',
  succeeded: 'Succeeded',
  failed: 'Failed',
} as const;

export interface ListenerStatus {
  name?: string;
  type?: ListenerType;
  address?: string;
  port?: number;
}

export type ClientState =
  | 'Selected'
  | 'Pending'
  | 'Downloading'
  | 'Training'
  | 'Uploading'
  | 'Waiting'
  | 'Completed'
  | 'Failed'
  | 'Lost';

export interface ClientStatus {
  cluster: string;
  state: ClientState;
  lastRound?: number;
  examples?: number;
  lastError?: string;
}

export interface RoundStatus {
  round: number;
  participants: string[];
  examples?: number;
  metrics?: Record<string, number>;
  durationSeconds?: number;
  modelDigest?: string;
}

export interface EvaluationStatus {
  accuracy?: number;
  perClassAccuracy?: Record<string, number>;
  examples?: number;
}

export interface FederatedLearningStatus {
  phase?: FlPhase;
  message?: string;
  conditions?: Condition[];
  listeners?: ListenerStatus[];
  clients?: ClientStatus[];
  rounds?: RoundStatus[];
  /** "n/total" for the ROUND printer column. */
  roundProgress?: string;
  /** Number of active clients, for the CLIENTS printer column. */
  activeClients?: number;
  /** Short "name=value" of the last round's main metric, for the METRIC printer column. */
  lastMetric?: string;
  model?: { location?: string; digest?: string };
  evaluation?: EvaluationStatus;
  startTime?: string;
  completionTime?: string;
  observedGeneration?: number;
}

export type FederatedLearning = KubeObject<FederatedLearningSpec, FederatedLearningStatus>;
