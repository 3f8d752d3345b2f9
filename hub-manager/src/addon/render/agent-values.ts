/**
 * Applies the resolved AddOnDeploymentConfig, the cluster and the hub settings to one flat
 * set of values the manifest renderers use. Every config field is applied here, by the
 * one-function-per-field helpers in ../config/.
 */
import { AGENT_DEFAULT_PORTS } from '@ocm-fl/common/api/agent-config.js';
import type { ImageMirror, ResourceRequirements } from '@ocm-fl/common/api/ocm.js';
import { parseCustomizedVariables } from '../config/customized-variables.js';
import { installNamespaceFor } from '../config/install-namespace.js';
import { nodePlacementFor, type PodPlacement } from '../config/node-placement.js';
import { proxySettingsFor, type ProxySettings } from '../config/proxy.js';
import { effectiveRegistries, overrideImage } from '../config/registries.js';
import { resourcesFor } from '../config/resource-requirements.js';
import { AGENT_OBJECTS, DEFAULT_AGENT_COMMAND, DEFAULT_AGENT_RESOURCES, type RenderInput } from './types.js';

export interface AgentValues {
  clusterName: string;
  namespace: string;
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  command: string[];
  args?: string[];
  logLevel: string;
  healthPort: number;
  handoffPort: number;
  /** Mirrors in effect; also handed to the agent for trainer images. */
  registries: ImageMirror[];
  aggregatorHost?: string;
  aggregatorDnsSuffix?: string;
  placement: PodPlacement;
  proxy: ProxySettings;
  resources: ResourceRequirements;
  /** customizedVariables names this addon does not know (reported, otherwise ignored). */
  unknownVariables: string[];
}

export function agentValues(input: RenderInput): AgentValues {
  const { cluster, addon, config, settings } = input;
  const clusterName = cluster.metadata.name;
  if (!clusterName) throw new Error('cluster.metadata.name: required');
  const vars = parseCustomizedVariables(config?.customizedVariables);
  let registries = effectiveRegistries(config?.registries, cluster);
  if (registries.length === 0) registries = [...(settings.registries ?? [])];
  const v: AgentValues = {
    clusterName,
    namespace: installNamespaceFor(addon, config),
    image: overrideImage(registries, vars.values.agentImage ?? settings.agentImage),
    imagePullPolicy: vars.values.imagePullPolicy ?? settings.imagePullPolicy ?? 'IfNotPresent',
    command: [...(settings.agentCommand ?? DEFAULT_AGENT_COMMAND)],
    logLevel: vars.values.logLevel ?? settings.logLevel,
    healthPort: AGENT_DEFAULT_PORTS.health,
    handoffPort: vars.values.handoffPort ?? AGENT_DEFAULT_PORTS.handoff,
    registries,
    placement: nodePlacementFor(config?.nodePlacement),
    proxy: proxySettingsFor(config?.proxyConfig),
    resources: resourcesFor(
      config?.resourceRequirements,
      { resource: 'deployments', name: AGENT_OBJECTS.deployment, container: AGENT_OBJECTS.container },
      settings.resources ?? DEFAULT_AGENT_RESOURCES,
    ),
    unknownVariables: vars.unknown,
  };
  if (settings.agentArgs) v.args = [...settings.agentArgs];
  const host = vars.values.aggregatorHost ?? settings.aggregator?.defaultHost;
  const suffix = vars.values.aggregatorDnsSuffix ?? settings.aggregator?.dnsSuffix;
  if (host) v.aggregatorHost = host;
  if (suffix) v.aggregatorDnsSuffix = suffix;
  return v;
}
