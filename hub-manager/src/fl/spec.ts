/**
 * Defaults and checks of a FederatedLearning spec, in one place. The CRD schema applies most
 * defaults on write; these repeat them so objects written before a schema change (or served
 * by a server that does not default) behave the same. Pure.
 */
import {
  SUPPORTED_FRAMEWORKS,
  type ClientLossPolicy,
  type EvaluationSpec,
  type FederatedLearning,
  type ListenerType,
  type ParameterValue,
  type ResourceRequirements,
  type StorageType,
} from '@ocm-fl/common/api/federated-learning.js';
import type { PlacementSpec } from '@ocm-fl/common/api/ocm.js';
import { DEFAULT_MAX_ROUND_RETRIES } from '@ocm-fl/common/job-contract/config.js';
import { flNames } from './names.js';

export interface ResolvedListener {
  name: string;
  port: number;
  type: ListenerType;
  ip?: string;
}

export interface ResolvedStorage {
  type: StorageType;
  /** PVC name or host directory. */
  name: string;
  /** Mount path in hub containers. */
  mountPath: string;
  size: string;
  storageClassName?: string;
  /** The job's directory below the mount: `<mountPath>/<namespace>-<name>`. */
  jobDir: string;
  /** Same directory relative to the storage root. */
  jobSubPath: string;
}

export interface ResolvedJob {
  namespace: string;
  name: string;
  uid: string;
  serverImage: string;
  clientImage: string;
  clientCommand?: string[];
  clientArgs?: string[];
  clientEnv?: { name: string; value: string }[];
  clientResources?: ResourceRequirements;
  serverResources?: ResourceRequirements;
  rounds: number;
  minAvailableClients: number;
  minClientsPerRound: number;
  roundTimeoutSeconds: number;
  onClientLoss: ClientLossPolicy;
  maxRoundRetries: number;
  strategy: { name: string; parameters: Record<string, ParameterValue> };
  parameters: Record<string, ParameterValue>;
  listeners: ResolvedListener[];
  storage: ResolvedStorage;
  /** Initial model path in hub containers; produced by the init container when not given. */
  initialModelPath: string;
  initialModelGiven: boolean;
  placement: PlacementSpec;
  /** ClusterClaim naming each cluster's data location (claimSelector key with Exists). */
  dataClaim?: string;
  evaluation?: EvaluationSpec;
}

export interface SpecProblem {
  reason: 'FrameworkNotSupported' | 'InvalidSpec' | 'StorageNotSupported';
  message: string;
}

export interface SpecDefaults {
  /** Default aggregator image: the hub-manager's own. */
  hubManagerImage: string;
}

const DEFAULT_LISTENER: ResolvedListener = { name: 'grpc', port: 8080, type: 'ClusterIP' };

/** The claimSelector key with operator Exists; the last one wins, as upstream. */
export function dataClaimKey(placement: PlacementSpec | undefined): string | undefined {
  let key: string | undefined;
  for (const p of placement?.predicates ?? [])
    for (const e of p.requiredClusterSelector?.claimSelector?.matchExpressions ?? [])
      if (e.operator === 'Exists') key = e.key;
  return key;
}

function checkParameters(
  p: Record<string, unknown> | undefined,
  path: string,
): Record<string, ParameterValue> {
  const out: Record<string, ParameterValue> = {};
  for (const [k, v] of Object.entries(p ?? {})) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new SpecError('InvalidSpec', `${path}.${k}: must be a string, number or boolean`);
    out[k] = v;
  }
  return out;
}

class SpecError extends Error {
  constructor(
    readonly reason: SpecProblem['reason'],
    message: string,
  ) {
    super(message);
  }
}

function listeners(fl: FederatedLearning): ResolvedListener[] {
  const given = fl.spec?.server?.listeners ?? [];
  if (given.length === 0) return [DEFAULT_LISTENER];
  const out = given.map((l, i) => ({
    name: l.name ?? `listener-${i}`,
    port: l.port ?? 8080,
    type: l.type ?? 'ClusterIP',
    ...(l.ip ? { ip: l.ip } : {}),
  }));
  const names = new Set(out.map((l) => l.name));
  if (names.size !== out.length)
    throw new SpecError('InvalidSpec', 'spec.server.listeners: names must be unique');
  const route = out.find((l) => l.type === 'Route');
  if (route)
    throw new SpecError(
      'InvalidSpec',
      `spec.server.listeners[${route.name}]: type Route is not supported; use LoadBalancer, NodePort or ClusterIP`,
    );
  return out;
}

function storage(fl: FederatedLearning): ResolvedStorage {
  const s = fl.spec?.server?.storage ?? {};
  const type = s.type ?? 'PersistentVolumeClaim';
  if (type === 'S3Bucket')
    throw new SpecError('StorageNotSupported', 'spec.server.storage.type: S3Bucket is not supported yet');
  const ref = { namespace: fl.metadata.namespace ?? '', name: fl.metadata.name ?? '' };
  const mountPath = (s.path ?? '/data/models').replace(/\/+$/, '') || '/data/models';
  const jobSubPath = `${ref.namespace}-${ref.name}`;
  if (type === 'HostPath' && !s.name)
    throw new SpecError(
      'InvalidSpec',
      'spec.server.storage.name: the host directory is required for HostPath',
    );
  return {
    type,
    name: s.name ?? flNames.defaultPvc(ref),
    mountPath,
    size: s.size ?? '1Gi',
    ...(s.storageClassName ? { storageClassName: s.storageClassName } : {}),
    jobDir: `${mountPath}/${jobSubPath}`,
    jobSubPath,
  };
}

/** The spec with every default applied, or the problem that makes the CR unusable. */
export function resolveSpec(fl: FederatedLearning, d: SpecDefaults): ResolvedJob | SpecProblem {
  const spec = fl.spec ?? {};
  const framework = spec.framework ?? 'native';
  if (!SUPPORTED_FRAMEWORKS.includes(framework))
    return {
      reason: 'FrameworkNotSupported',
      message: `spec.framework: "${framework}" is not supported yet; supported: ${SUPPORTED_FRAMEWORKS.join(', ')}`,
    };
  try {
    const clientImage = spec.client?.image;
    if (!clientImage) throw new SpecError('InvalidSpec', 'spec.client.image: the trainer image is required');
    const minAvailableClients = spec.server?.minAvailableClients ?? 1;
    const minClientsPerRound = spec.minClientsPerRound ?? minAvailableClients;
    if (minClientsPerRound > minAvailableClients)
      throw new SpecError(
        'InvalidSpec',
        `spec.minClientsPerRound (${minClientsPerRound}) must not exceed spec.server.minAvailableClients (${minAvailableClients})`,
      );
    const st = storage(fl);
    const initial = spec.server?.initialModel;
    const initialModelPath = initial
      ? initial.startsWith('/')
        ? initial
        : `${st.jobDir}/${initial}`
      : `${st.jobDir}/initial-model.safetensors`;
    const dataClaim = dataClaimKey(spec.client?.placement);
    return {
      namespace: fl.metadata.namespace ?? '',
      name: fl.metadata.name ?? '',
      uid: fl.metadata.uid ?? '',
      serverImage: spec.server?.image || d.hubManagerImage,
      clientImage,
      ...(spec.client?.command ? { clientCommand: spec.client.command } : {}),
      ...(spec.client?.args ? { clientArgs: spec.client.args } : {}),
      ...(spec.client?.env ? { clientEnv: spec.client.env } : {}),
      ...(spec.client?.resources ? { clientResources: spec.client.resources } : {}),
      ...(spec.server?.resources ? { serverResources: spec.server.resources } : {}),
      rounds: spec.server?.rounds ?? 1,
      minAvailableClients,
      minClientsPerRound,
      roundTimeoutSeconds: spec.roundTimeoutSeconds ?? 600,
      onClientLoss: spec.failurePolicy?.onClientLoss ?? 'Replace',
      maxRoundRetries: spec.failurePolicy?.maxRoundRetries ?? DEFAULT_MAX_ROUND_RETRIES,
      strategy: {
        name: spec.strategy?.name ?? 'FedAvg',
        parameters: checkParameters(spec.strategy?.parameters, 'spec.strategy.parameters'),
      },
      parameters: checkParameters(spec.training?.parameters, 'spec.training.parameters'),
      listeners: listeners(fl),
      storage: st,
      initialModelPath,
      initialModelGiven: !!initial,
      placement: spec.client?.placement ?? {},
      ...(dataClaim ? { dataClaim } : {}),
      ...(spec.evaluation ? { evaluation: spec.evaluation } : {}),
    };
  } catch (e) {
    if (e instanceof SpecError) return { reason: e.reason, message: e.message };
    throw e;
  }
}

export function isSpecProblem(r: ResolvedJob | SpecProblem): r is SpecProblem {
  return 'reason' in r;
}
