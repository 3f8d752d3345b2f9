/** All agent manifests for one cluster, in apply order. Pure and deterministic. */
import { federatedLearningTaskCrd } from '@ocm-fl/common/api/crds/federated-learning-task.js';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { ADDON_NAME, ADDON_NAME_LABEL } from '@ocm-fl/common/names.js';
import { agentValues, type AgentValues } from './agent-values.js';
import { renderConfigMaps } from './config-maps.js';
import { renderDeployment, renderHandoffService } from './deployment.js';
import { renderAgentRbac } from './rbac.js';
import { AGENT_OBJECTS, type AgentRenderSettings, type RenderInput } from './types.js';

export interface RenderedAgent {
  values: AgentValues;
  manifests: KubeObject[];
}

export function agentLabels(): Record<string, string> {
  return { [ADDON_NAME_LABEL]: ADDON_NAME, 'app.kubernetes.io/part-of': ADDON_NAME };
}

/** Manifests from already-applied values; throws only for settings (e.g. CA not ready). */
export function manifestsFor(v: AgentValues, settings: AgentRenderSettings): KubeObject[] {
  const labels = agentLabels();
  const crd = federatedLearningTaskCrd();
  crd.metadata.labels = { ...labels };
  const manifests: KubeObject[] = [
    crd,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: v.namespace, labels } },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: AGENT_OBJECTS.serviceAccount, namespace: v.namespace, labels },
    },
    ...renderAgentRbac(v.namespace, labels),
    ...renderConfigMaps(v, settings.caBundlePem, labels),
    renderDeployment(v, labels),
    renderHandoffService(v, labels),
  ];
  return manifests;
}

/** Values (config applied; throws on a bad config) and the manifests for one cluster. */
export function renderAgentManifests(input: RenderInput): RenderedAgent {
  const values = agentValues(input);
  return { values, manifests: manifestsFor(values, input.settings) };
}
