/** Inputs of the agent renderers. Everything a renderer needs arrives here: no I/O in render/. */
import type {
  AddOnDeploymentConfigSpec,
  ImageMirror,
  ManagedCluster,
  ManagedClusterAddOn,
  ResourceRequirements,
} from '@ocm-fl/common/api/ocm.js';
import { AGENT_CONFIG_CONFIGMAP } from '@ocm-fl/common/names.js';

export interface AgentRenderSettings {
  /** Agent image before mirroring (the hub-manager's `--agent-image`). */
  agentImage: string;
  /** PEM bundle of the addon CA(s) agents trust; during rotation old and new. */
  caBundlePem: string;
  logLevel: string;
  /** Defaults for aggregator endpoint resolution; the AddOnDeploymentConfig can override. */
  aggregator?: { defaultHost?: string; dnsSuffix?: string };
  /** Container command/args; default `node /app/dist/spoke-agent.js`. Tier 1 runs tsx instead. */
  agentCommand?: string[];
  agentArgs?: string[];
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Hub-wide mirrors (chart value); used only when neither config nor annotation has any. */
  registries?: ImageMirror[];
  /** Default agent container resources; `resourceRequirements` in the config override. */
  resources?: ResourceRequirements;
}

export interface RenderInput {
  cluster: ManagedCluster;
  addon: ManagedClusterAddOn;
  /** The resolved AddOnDeploymentConfig spec, or undefined when none applies. */
  config: AddOnDeploymentConfigSpec | undefined;
  settings: AgentRenderSettings;
}

/** Names of the objects in the agent ManifestWork (all in the install namespace). */
export const AGENT_OBJECTS = {
  deployment: 'fl-agent',
  container: 'agent',
  serviceAccount: 'fl-agent',
  role: 'fl-agent',
  clusterRole: 'open-cluster-management:federated-learning:agent',
  caConfigMap: 'fl-agent-ca',
  configConfigMap: AGENT_CONFIG_CONFIGMAP,
  proxyCaConfigMap: 'fl-agent-proxy-ca',
  handoffService: 'fl-agent-handoff',
} as const;

export const DEFAULT_AGENT_RESOURCES: ResourceRequirements = {
  requests: { cpu: '50m', memory: '64Mi' },
  limits: { cpu: '500m', memory: '256Mi' },
};

export const DEFAULT_AGENT_COMMAND = ['node', '/app/dist/spoke-agent.js'];
