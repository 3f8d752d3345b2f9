/**
 * Decided names (docs/architecture.md). Other parts, the chart and the tests rely on these:
 * change one only together with everything that uses it.
 */
export const ADDON_NAME = 'federated-learning';
export const AGENT_NAME = 'fl-agent';
export const SIGNER_NAME = 'open-cluster-management.io/federated-learning';
export const DEFAULT_INSTALL_NAMESPACE = 'open-cluster-management-agent-addon';
export const DEPLOY_WORK_NAME = `addon-${ADDON_NAME}-deploy-0`;
export const LEASE_NAME = ADDON_NAME;
/** The agent's config ConfigMap in the ManifestWork; it also owns the agent's Lease. */
export const AGENT_CONFIG_CONFIGMAP = 'fl-agent-config';
export const ADDON_DNS_SAN = `${ADDON_NAME}.addon.open-cluster-management.io`;
/** Secret the klusterlet registration agent writes: `<addon>-<signer with / → ->-client-cert`. */
export const CLIENT_CERT_SECRET = `${ADDON_NAME}-${SIGNER_NAME.replace(/\//g, '-')}-client-cert`;

export const ADDON_NAME_LABEL = 'open-cluster-management.io/addon-name';
export const CLUSTER_NAME_LABEL = 'open-cluster-management.io/cluster-name';
export const IMAGE_REGISTRIES_ANNOTATION = 'open-cluster-management.io/image-registries';
export const LIFECYCLE_ANNOTATION = 'addon.open-cluster-management.io/lifecycle';
export const PLACEMENT_LABEL = 'cluster.open-cluster-management.io/placement';

export const FL_GROUP = 'federation-ai.open-cluster-management.io';
export const FL_VERSION = 'v1alpha1';
export const FL_API_VERSION = `${FL_GROUP}/${FL_VERSION}`;

const OCM = 'system:open-cluster-management';

/** Subject CN of the agent certificate; 86+ characters, never truncated. */
export function agentCommonName(cluster: string): string {
  return `${OCM}:cluster:${cluster}:addon:${ADDON_NAME}:agent:${AGENT_NAME}`;
}

/** Subject organisations (groups) of the agent certificate, in the decided order. */
export function agentGroups(cluster: string): string[] {
  return [`${OCM}:cluster:${cluster}:addon:${ADDON_NAME}`, `${OCM}:addon:${ADDON_NAME}`];
}

/** Identity the klusterlet registration agent uses on the hub for cluster `cluster`. */
export function klusterletUsernamePrefix(cluster: string): string {
  return `${OCM}:${cluster}:`;
}

const CN_PATTERN = new RegExp(
  `^${OCM}:cluster:([a-z0-9]([-a-z0-9.]*[a-z0-9])?):addon:${ADDON_NAME}:agent:${AGENT_NAME}$`,
);

/** The cluster an agent certificate's CN names, or undefined when the CN is not an agent CN. */
export function clusterFromCommonName(cn: string): string | undefined {
  return CN_PATTERN.exec(cn)?.[1];
}

/** Cluster namespaces and names are DNS-1123 labels/subdomains in OCM. */
export function isDnsLabel(s: string): boolean {
  return s.length > 0 && s.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s);
}
