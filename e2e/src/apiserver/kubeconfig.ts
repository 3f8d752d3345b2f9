/** Kubeconfig documents for the embedded server: embedded CA and a bearer token per user. */
import YAML from 'yaml';

export interface KubeconfigInput {
  clusterName: string;
  server: string;
  caPem: string;
  user: string;
  token: string;
  namespace?: string;
}

export function renderKubeconfig(k: KubeconfigInput): string {
  const context = `${k.user}@${k.clusterName}`;
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: k.clusterName,
        cluster: { server: k.server, 'certificate-authority-data': Buffer.from(k.caPem).toString('base64') },
      },
    ],
    users: [{ name: k.user, user: { token: k.token } }],
    contexts: [
      {
        name: context,
        context: { cluster: k.clusterName, user: k.user, ...(k.namespace ? { namespace: k.namespace } : {}) },
      },
    ],
    'current-context': context,
    preferences: {},
  });
}
