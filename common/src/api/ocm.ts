/**
 * Hand-written types for the Open Cluster Management objects this project reads and writes
 * (addon, work and cluster APIs). Only the fields the project uses are typed; they follow
 * the open-cluster-management.io/api types.
 */
import type { Condition, KubeObject, ObjectMeta } from './meta.js';

export const ADDON_API_VERSION = 'addon.open-cluster-management.io/v1alpha1';
export const ADDON_GROUP = 'addon.open-cluster-management.io';
export const WORK_API_VERSION = 'work.open-cluster-management.io/v1';
export const CLUSTER_API_VERSION = 'cluster.open-cluster-management.io/v1';
export const PLACEMENT_API_VERSION = 'cluster.open-cluster-management.io/v1beta1';
export const CLUSTER_SET_BINDING_API_VERSION = 'cluster.open-cluster-management.io/v1beta2';
export const CLAIM_API_VERSION = 'cluster.open-cluster-management.io/v1alpha1';

// ---------------------------------------------------------------- addon.open-cluster-management.io

export interface ConfigGroupResource {
  group: string;
  resource: string;
}

export interface ConfigCoordinates {
  namespace?: string;
  name: string;
}

export interface SupportedConfig extends ConfigGroupResource {
  defaultConfig?: ConfigCoordinates;
}

export interface AddOnConfig extends ConfigGroupResource, ConfigCoordinates {}

export interface PlacementStrategy {
  namespace: string;
  name: string;
  configs?: AddOnConfig[];
  rolloutStrategy?: { type: 'All' | 'Progressive' | 'ProgressivePerGroup'; [k: string]: unknown };
}

export interface ClusterManagementAddOnSpec {
  addOnMeta?: { displayName?: string; description?: string };
  supportedConfigs?: SupportedConfig[];
  installStrategy?: { type: 'Manual' | 'Placements'; placements?: PlacementStrategy[] };
}

export interface ClusterManagementAddOnStatus {
  defaultconfigReferences?: unknown[];
  installProgressions?: unknown[];
}

export type ClusterManagementAddOn = KubeObject<ClusterManagementAddOnSpec, ClusterManagementAddOnStatus>;

export interface RegistrationSubject {
  user?: string;
  groups?: string[];
  /** v1alpha1 JSON key is singular. */
  organizationUnit?: string[];
}

export interface RegistrationConfig {
  signerName: string;
  subject?: RegistrationSubject;
}

export interface ObjectReference {
  group: string;
  resource: string;
  name: string;
  namespace?: string;
}

export interface ConfigReference extends ConfigGroupResource {
  name: string;
  namespace?: string;
  lastObservedGeneration?: number;
  desiredConfig?: { name: string; namespace?: string; specHash: string };
  lastAppliedConfig?: { name: string; namespace?: string; specHash: string };
}

export interface ManagedClusterAddOnSpec {
  /** Deprecated upstream but what clusteradm sets. */
  installNamespace?: string;
  configs?: AddOnConfig[];
}

export interface ManagedClusterAddOnStatus {
  conditions?: Condition[];
  relatedObjects?: ObjectReference[];
  addOnMeta?: { displayName?: string; description?: string };
  registrations?: RegistrationConfig[];
  namespace?: string;
  healthCheck?: { mode: 'Lease' | 'Customized' };
  configReferences?: ConfigReference[];
  supportedConfigs?: ConfigGroupResource[];
}

export type ManagedClusterAddOn = KubeObject<ManagedClusterAddOnSpec, ManagedClusterAddOnStatus>;

export interface ImageMirror {
  /** Image prefix to replace; empty means "any image, keep only the last path segment". */
  source?: string;
  mirror: string;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface AddOnDeploymentConfigSpec {
  customizedVariables?: { name: string; value: string }[];
  nodePlacement?: { nodeSelector?: Record<string, string>; tolerations?: Toleration[] };
  registries?: ImageMirror[];
  /** `caBundle` is base64 (a Go []byte in the upstream API). */
  proxyConfig?: { httpProxy?: string; httpsProxy?: string; noProxy?: string; caBundle?: string };
  agentInstallNamespace?: string;
  resourceRequirements?: { containerID: string; resources: ResourceRequirements }[];
}

export type AddOnDeploymentConfig = KubeObject<AddOnDeploymentConfigSpec, never>;

// ---------------------------------------------------------------- work.open-cluster-management.io

export interface ResourceIdentifier {
  group: string;
  resource: string;
  name: string;
  namespace?: string;
}

export interface JsonPathRule {
  name: string;
  path: string;
  version?: string;
}

export interface FeedbackRule {
  type: 'WellKnownStatus' | 'JSONPaths';
  jsonPaths?: JsonPathRule[];
}

export interface ManifestConfigOption {
  resourceIdentifier: ResourceIdentifier;
  feedbackRules?: FeedbackRule[];
  updateStrategy?: { type: 'Update' | 'CreateOnly' | 'ServerSideApply' | 'ReadOnly'; [k: string]: unknown };
}

export interface ManifestWorkSpec {
  workload: { manifests: KubeObject[] };
  deleteOption?: {
    propagationPolicy: 'Foreground' | 'Orphan' | 'SelectivelyOrphan';
    selectivelyOrphans?: unknown;
  };
  manifestConfigs?: ManifestConfigOption[];
}

export interface FieldValue {
  type: 'Integer' | 'String' | 'Boolean' | 'JsonRaw';
  integer?: number;
  string?: string;
  boolean?: boolean;
  jsonRaw?: string;
}

export interface ManifestCondition {
  resourceMeta: {
    ordinal: number;
    group: string;
    version: string;
    kind: string;
    resource: string;
    name: string;
    namespace?: string;
  };
  statusFeedback?: { values?: { name: string; fieldValue: FieldValue }[] };
  conditions?: Condition[];
}

export interface ManifestWorkStatus {
  conditions?: Condition[];
  resourceStatus?: { manifests?: ManifestCondition[] };
}

export type ManifestWork = KubeObject<ManifestWorkSpec, ManifestWorkStatus>;

// ---------------------------------------------------------------- cluster.open-cluster-management.io

export interface ManagedClusterSpec {
  hubAcceptsClient?: boolean;
  managedClusterClientConfigs?: { url: string; caBundle?: string }[];
  leaseDurationSeconds?: number;
  taints?: { key: string; value?: string; effect: string }[];
}

export interface ManagedClusterStatus {
  conditions?: Condition[];
  clusterClaims?: { name: string; value: string }[];
  version?: { kubernetes?: string };
}

export type ManagedCluster = KubeObject<ManagedClusterSpec, ManagedClusterStatus>;

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface PlacementSpec {
  clusterSets?: string[];
  numberOfClusters?: number;
  predicates?: {
    requiredClusterSelector?: {
      labelSelector?: LabelSelector;
      claimSelector?: { matchExpressions?: LabelSelector['matchExpressions'] };
      celSelector?: { celExpressions?: string[] };
    };
  }[];
  prioritizerPolicy?: { mode?: 'Additive' | 'Exact'; configurations?: unknown[] };
  tolerations?: Toleration[];
  decisionStrategy?: unknown;
}

export interface PlacementStatus {
  numberOfSelectedClusters?: number;
  conditions?: Condition[];
}

export type Placement = KubeObject<PlacementSpec, PlacementStatus>;

export interface PlacementDecisionStatus {
  decisions?: { clusterName: string; reason: string }[];
}

/** PlacementDecision has no spec; decisions live in status (≤ 100 per object). */
export type PlacementDecision = KubeObject<never, PlacementDecisionStatus>;

export type ManagedClusterSetBinding = KubeObject<{ clusterSet: string }, { conditions?: Condition[] }>;

/** Cluster-scoped on the managed cluster; surfaces on the hub in ManagedCluster.status.clusterClaims. */
export type ClusterClaim = KubeObject<{ value: string }, never>;

/** Convenience for builders: metadata with a required name. */
export type NamedMeta = ObjectMeta & { name: string };
