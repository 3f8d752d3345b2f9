/** What the tier-1 scenarios look at on a running agent: its pod, /readyz, and openssl checks. */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findCondition, type Condition, type KubeObject } from '@ocm-fl/common/api/meta.js';
import { DEFAULT_INSTALL_NAMESPACE } from '@ocm-fl/common/names.js';
import type { Fleet } from '../fleet/fleet.js';

const run = promisify(execFile);

export type AgentPod = KubeObject & {
  status?: { podIP?: string; containerStatuses?: { restartCount: number; ready: boolean }[] };
};

export interface ReadyBody {
  ready: boolean;
  checks: Record<string, string>;
  details?: { certificateNotAfter?: string };
}

export const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');

export const hasTrue = (o: { status?: { conditions?: Condition[] } } | undefined, type: string): boolean =>
  findCondition(o?.status?.conditions, type)?.status === 'True';

/** The agent's current (not terminating) pod on a managed cluster. */
export async function agentPod(
  fleet: Fleet,
  cluster: string,
  ns = DEFAULT_INSTALL_NAMESPACE,
): Promise<AgentPod | undefined> {
  const pods = await fleet.cluster(cluster).client.list<AgentPod>('v1', 'Pod', { namespace: ns });
  return pods.find((p) => p.metadata.name?.startsWith('fl-agent-') && !p.metadata.deletionTimestamp);
}

/** The agent's /readyz body at its pod address; undefined while it has none or does not answer. */
export async function readyz(fleet: Fleet, cluster: string): Promise<ReadyBody | undefined> {
  const ip = (await agentPod(fleet, cluster))?.status?.podIP;
  if (!ip) return undefined;
  const r = await fetch(`http://${ip}:8080/readyz`).catch(() => undefined);
  return r ? ((await r.json()) as ReadyBody) : undefined;
}

/** `openssl verify -CAfile <bundle> <cert>` with the PEMs written under `dir`; its output. */
export async function opensslVerify(
  dir: string,
  bundlePem: string,
  certPem: string,
  name: string,
): Promise<string> {
  const bundle = join(dir, `${name}-bundle.pem`);
  const cert = join(dir, `${name}-cert.pem`);
  await writeFile(bundle, bundlePem);
  await writeFile(cert, certPem);
  const { stdout } = await run('openssl', ['verify', '-CAfile', bundle, cert]);
  return stdout.trim();
}
