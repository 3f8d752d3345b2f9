/** ConfigMaps of the agent: hub CA bundle, agent configuration (env), optional proxy CA. */
import { AGENT_ENV, AGENT_PATHS } from '@ocm-fl/common/api/agent-config.js';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { PROXY_CA_KEY } from '../config/proxy.js';
import type { AgentValues } from './agent-values.js';
import { AGENT_OBJECTS } from './types.js';

export type ConfigMap = KubeObject & { data: Record<string, string> };

function configMap(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  data: Record<string, string>,
): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data };
}

/** Environment of the agent as ConfigMap data (keys sorted for a stable hash). */
export function agentEnvData(v: AgentValues): Record<string, string> {
  const data: Record<string, string> = {
    [AGENT_ENV.clusterName]: v.clusterName,
    [AGENT_ENV.namespace]: v.namespace,
    [AGENT_ENV.healthPort]: String(v.healthPort),
    [AGENT_ENV.handoffPort]: String(v.handoffPort),
    [AGENT_ENV.handoffAddress]: `${AGENT_OBJECTS.handoffService}.${v.namespace}.svc:${v.handoffPort}`,
    [AGENT_ENV.logLevel]: v.logLevel,
    [AGENT_ENV.clientCertDir]: AGENT_PATHS.clientCertDir,
    [AGENT_ENV.caBundleFile]: AGENT_PATHS.caBundleFile,
    [AGENT_ENV.imageRegistries]: JSON.stringify(v.registries),
  };
  if (v.aggregatorHost) data[AGENT_ENV.aggregatorHost] = v.aggregatorHost;
  if (v.aggregatorDnsSuffix) data[AGENT_ENV.aggregatorDnsSuffix] = v.aggregatorDnsSuffix;
  return Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));
}

export function renderConfigMaps(
  v: AgentValues,
  caBundlePem: string,
  labels: Record<string, string>,
): ConfigMap[] {
  if (!caBundlePem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error('settings.caBundlePem: no PEM certificate (the addon CA is not ready)');
  }
  const out = [
    configMap(AGENT_OBJECTS.caConfigMap, v.namespace, labels, { 'ca.crt': caBundlePem }),
    configMap(AGENT_OBJECTS.configConfigMap, v.namespace, labels, agentEnvData(v)),
  ];
  if (v.proxy.caBundlePem) {
    out.push(
      configMap(AGENT_OBJECTS.proxyCaConfigMap, v.namespace, labels, { [PROXY_CA_KEY]: v.proxy.caBundlePem }),
    );
  }
  return out;
}
