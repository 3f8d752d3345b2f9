/**
 * AddOnDeploymentConfig `proxyConfig`: HTTP_PROXY / HTTPS_PROXY / NO_PROXY for the agent
 * (upper and lower case: Node's undici reads one, grpc-js the other) and, when `caBundle` is
 * set, a ConfigMap with the proxy CA mounted into the agent and named by PROXY_CA_FILE.
 */
import type { AddOnDeploymentConfigSpec } from '@ocm-fl/common/api/ocm.js';

export interface EnvVar {
  name: string;
  value: string;
}

export interface ProxySettings {
  env: EnvVar[];
  /** PEM of the proxy CA, decoded from the config's base64 `caBundle`. */
  caBundlePem?: string;
}

export const PROXY_CA_MOUNT = '/etc/fl-agent/proxy-ca';
export const PROXY_CA_KEY = 'ca.crt';

function decodeCaBundle(b64: string): string {
  const pem = Buffer.from(b64, 'base64').toString('utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error('spec.proxyConfig.caBundle: not a base64-encoded PEM certificate bundle');
  }
  return pem;
}

export function proxySettingsFor(pc: AddOnDeploymentConfigSpec['proxyConfig']): ProxySettings {
  const env: EnvVar[] = [];
  const add = (name: string, value: string | undefined): void => {
    if (!value) return;
    env.push({ name, value }, { name: name.toLowerCase(), value });
  };
  add('HTTP_PROXY', pc?.httpProxy);
  add('HTTPS_PROXY', pc?.httpsProxy);
  add('NO_PROXY', pc?.noProxy);
  const out: ProxySettings = { env };
  if (pc?.caBundle) {
    out.caBundlePem = decodeCaBundle(pc.caBundle);
    out.env.push({ name: 'PROXY_CA_FILE', value: `${PROXY_CA_MOUNT}/${PROXY_CA_KEY}` });
  }
  return out;
}
