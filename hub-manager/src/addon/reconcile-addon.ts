/**
 * Reconcile of one ManagedClusterAddOn `federated-learning` (key: its cluster namespace).
 * Thin I/O around the pure parts: re-read, render, write the ManifestWork only when its content
 * hash changed, write status only when it changed, finalizer-guarded cleanup on delete.
 */
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import {
  ADDON_API_VERSION,
  WORK_API_VERSION,
  type AddOnDeploymentConfig,
  type ClusterManagementAddOn,
  type ManagedCluster,
  type ManagedClusterAddOn,
  type ManifestWork,
} from '@ocm-fl/common/api/ocm.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import type { ReconcileResult } from '@ocm-fl/common/kube/keyed-queue.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { ADDON_NAME, DEPLOY_WORK_NAME } from '@ocm-fl/common/names.js';
import { configReferences, deploymentConfigRef, desiredConfigs, goJson } from './config/resolve.js';
import { manifestsFor } from './render/agent-manifests.js';
import { agentValues, type AgentValues } from './render/agent-values.js';
import {
  CONFIG_SPEC_HASH_ANNOTATION,
  CONTENT_HASH_ANNOTATION,
  renderManifestWork,
} from './render/manifest-work.js';
import type { AgentRenderSettings } from './render/types.js';
import { computeAddonStatus, type StatusInput } from './status.js';

export const CLEANUP_FINALIZER = 'federated-learning.addon.open-cluster-management.io/cleanup';
const MCA = 'ManagedClusterAddOn';
const WORK = 'ManifestWork';
/** How often to look again while waiting for the addon CA or for the work to disappear. */
const WAIT_MS = 2000;

export interface AddonReconcileDeps {
  client: KubeClient;
  logger: Logger;
  /** Hub settings for the agent, without the CA (read per reconcile: it rotates). */
  agent: Omit<AgentRenderSettings, 'caBundlePem'>;
  caBundle: () => string | undefined;
  /** Cached reads (informers); writes always go to the server. */
  cache: {
    cma(): ClusterManagementAddOn | undefined;
    cluster(name: string): ManagedCluster | undefined;
    deploymentConfig(namespace: string, name: string): AddOnDeploymentConfig | undefined;
  };
}

/** Whether the stored work already holds the desired content, owner and label. */
export function workUpToDate(current: ManifestWork, desired: ManifestWork): boolean {
  const hash = (w: ManifestWork): string | undefined => w.metadata.annotations?.[CONTENT_HASH_ANNOTATION];
  const configs = (w: ManifestWork): string | undefined =>
    w.metadata.annotations?.[CONFIG_SPEC_HASH_ANNOTATION];
  return (
    hash(current) === hash(desired) &&
    configs(current) === configs(desired) &&
    goJson(current.metadata.ownerReferences ?? []) === goJson(desired.metadata.ownerReferences) &&
    goJson(current.metadata.labels ?? {}) ===
      goJson({ ...current.metadata.labels, ...desired.metadata.labels })
  );
}

async function writeWork(client: KubeClient, desired: ManifestWork): Promise<ManifestWork> {
  const current = await client.get<ManifestWork>(
    WORK_API_VERSION,
    WORK,
    DEPLOY_WORK_NAME,
    desired.metadata.namespace,
  );
  if (!current) return client.create(desired);
  if (workUpToDate(current, desired)) return current;
  return client.update<ManifestWork>({
    ...current,
    metadata: {
      ...current.metadata,
      labels: { ...current.metadata.labels, ...desired.metadata.labels },
      annotations: { ...current.metadata.annotations, ...desired.metadata.annotations },
      ownerReferences: desired.metadata.ownerReferences!,
    },
    spec: desired.spec!,
  });
}

async function finalize(deps: AddonReconcileDeps, mca: ManagedClusterAddOn): Promise<ReconcileResult> {
  const ns = mca.metadata.namespace!;
  if (!(mca.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) return;
  await deps.client.delete(WORK_API_VERSION, WORK, DEPLOY_WORK_NAME, ns);
  if (await deps.client.get(WORK_API_VERSION, WORK, DEPLOY_WORK_NAME, ns)) {
    return { requeueAfterMs: WAIT_MS }; // the work agent is still removing the agent
  }
  const finalizers = (mca.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
  await deps.client.update<ManagedClusterAddOn>({ ...mca, metadata: { ...mca.metadata, finalizers } });
  deps.logger.info('addon removed: manifestwork gone, finalizer released', { cluster: ns });
}

const refKey = (c: { namespace?: string; name: string }): string => `${c.namespace ?? ''}/${c.name}`;

/** Name the object the author has to fix: the cluster (annotation) or the config. */
function whereToFix(
  msg: string,
  cluster: string,
  ref: { namespace?: string; name: string } | undefined,
): string {
  if (msg.startsWith('metadata.')) return `ManagedCluster ${cluster}: ${msg}`;
  return ref ? `AddOnDeploymentConfig ${refKey(ref)}: ${msg}` : msg;
}

/** Resolve config and apply it to the values; any failure becomes `configError`. */
function configure(
  deps: AddonReconcileDeps,
  mca: ManagedClusterAddOn,
  out: StatusInput,
): AgentValues | undefined {
  const ns = mca.metadata.namespace!;
  const configs = desiredConfigs(deps.cache.cma(), mca);
  const found = new Map<string, AddOnDeploymentConfig>();
  for (const c of configs) {
    const obj = deps.cache.deploymentConfig(c.namespace ?? '', c.name);
    if (obj) found.set(refKey(c), obj);
  }
  out.configReferences = configReferences(configs, found);
  const ref = deploymentConfigRef(configs);
  const adc = ref && found.get(refKey(ref));
  const cluster = deps.cache.cluster(ns);
  if (ref && !adc) out.configError = `AddOnDeploymentConfig ${refKey(ref)} not found`;
  else if (!cluster) out.configError = `ManagedCluster ${ns} not found`;
  if (out.configError || !cluster) return undefined;
  try {
    const v = agentValues({
      cluster,
      addon: mca,
      config: adc?.spec,
      settings: { ...deps.agent, caBundlePem: '' },
    });
    out.installNamespace = v.namespace;
    if (v.unknownVariables.length) out.unknownVariables = v.unknownVariables;
    return v;
  } catch (e) {
    out.configError = whereToFix((e as Error).message, ns, ref);
    return undefined;
  }
}

async function ensureFinalizer(client: KubeClient, mca: ManagedClusterAddOn): Promise<ManagedClusterAddOn> {
  if ((mca.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) return mca;
  const finalizers = [...(mca.metadata.finalizers ?? []), CLEANUP_FINALIZER];
  return client.update<ManagedClusterAddOn>({ ...mca, metadata: { ...mca.metadata, finalizers } });
}

export async function reconcileAddon(deps: AddonReconcileDeps, namespace: string): Promise<ReconcileResult> {
  const { client } = deps;
  let mca = await client.get<ManagedClusterAddOn>(ADDON_API_VERSION, MCA, ADDON_NAME, namespace);
  if (!mca) return;
  if (mca.metadata.deletionTimestamp) return finalize(deps, mca);
  mca = await ensureFinalizer(client, mca);

  const st: StatusInput = { addon: mca, configReferences: [] };
  const values = configure(deps, mca, st);
  let writeError: unknown;
  let result: ReconcileResult = undefined;
  if (values) {
    const ca = deps.caBundle();
    try {
      const desired = renderManifestWork(
        mca,
        manifestsFor(values, { ...deps.agent, caBundlePem: ca ?? '' }),
        values.namespace,
        st.configReferences,
      );
      st.desiredHash = desired.metadata.annotations?.[CONTENT_HASH_ANNOTATION];
      st.work = await writeWork(client, desired);
    } catch (e) {
      st.workError = (e as Error).message;
      if (!ca) result = { requeueAfterMs: WAIT_MS };
      else writeError = e;
    }
  }
  st.work ??= await client.get<ManifestWork>(WORK_API_VERSION, WORK, DEPLOY_WORK_NAME, namespace);

  const status = computeAddonStatus(st);
  if (goJson(status) !== goJson(mca.status ?? {})) {
    await client.updateStatus<ManagedClusterAddOn>({ ...mca, status } as ManagedClusterAddOn & KubeObject);
  }
  if (writeError) throw new Error(`cluster ${namespace}: writing ManifestWork failed`, { cause: writeError });
  if (st.configError)
    deps.logger.warn('addon not configured', { cluster: namespace, reason: st.configError });
  if (st.unknownVariables?.length)
    deps.logger.warn('ignored unknown customizedVariables', {
      cluster: namespace,
      names: st.unknownVariables,
    });
  return result;
}
