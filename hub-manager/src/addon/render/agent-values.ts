/**
 * Applies the resolved AddOnDeploymentConfig, the cluster and the hub settings to one flat
 * set of values the manifest renderers use. Every config field is applied here, by the
 * one-function-per-field helpers in ../config/.
 */
import { AGENT_DEFAULT_PORTS } from '@ocm-fl/common/api/agent-config.js';
import type { ImageMirror, ResourceRequirements } from '@ocm-fl/common/api/ocm.js';
import { parseCustomizedVariables, type CustomizedVariables } from '../config/customized-variables.js';
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

function registriesFor(input: RenderInput): ImageMirror[] {
  const regs = effectiveRegistries(input.config?.registries, input.cluster);
  return regs.length > 0 ? regs : [...(input.settings.registries ?? [])];
}

/** Aggregator defaults: the config's customizedVariables win over the hub settings. */
function aggregatorDefaults(
  vars: CustomizedVariables,
  input: RenderInput,
): Pick<AgentValues, 'aggregatorHost' | 'aggregatorDnsSuffix'> {
  const out: Pick<AgentValues, 'aggregatorHost' | 'aggregatorDnsSuffix'> = {};
  const host = vars.aggregatorHost ?? input.settings.aggregator?.defaultHost;
  const suffix = vars.aggregatorDnsSuffix ?? input.settings.aggregator?.dnsSuffix;
  if (host) out.aggregatorHost = host;
  if (suffix) out.aggregatorDnsSuffix = suffix;
  return out;
}

export function agentValues(input: RenderInput): AgentValues {
  const { cluster, addon, config, settings } = input;
  const clusterName = cluster.metadata.name;
  if (!clusterName) throw new Error('cluster.metadata.name: required');
  const { values: vars, unknown } = parseCustomizedVariables(config?.customizedVariables);
  const registries = registriesFor(input);
  return {
    clusterName,
    namespace: installNamespaceFor(addon, config),
    image: overrideImage(registries, vars.agentImage ?? settings.agentImage),
    imagePullPolicy: vars.imagePullPolicy ?? settings.imagePullPolicy ?? 'IfNotPresent',
    command: [...(settings.agentCommand ?? DEFAULT_AGENT_COMMAND)],
    ...(settings.agentArgs ? { args: [...settings.agentArgs] } : {}),
    logLevel: vars.logLevel ?? settings.logLevel,
    healthPort: AGENT_DEFAULT_PORTS.health,
    handoffPort: vars.handoffPort ?? AGENT_DEFAULT_PORTS.handoff,
    registries,
    ...aggregatorDefaults(vars, input),
    placement: nodePlacementFor(config?.nodePlacement),
    proxy: proxySettingsFor(config?.proxyConfig),
    resources: resourcesFor(
      config?.resourceRequirements,
      { resource: 'deployments', name: AGENT_OBJECTS.deployment, container: AGENT_OBJECTS.container },
      settings.resources ?? DEFAULT_AGENT_RESOURCES,
    ),
    unknownVariables: unknown,
  };
}
