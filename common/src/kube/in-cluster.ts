/**
 * The smallest API client a pod needs to update one object with its ServiceAccount: the
 * in-cluster address from the environment, the mounted CA and token (re-read for every request,
 * since bound tokens rotate), one HTTPS request. It exists so processes that only publish a
 * little state (the aggregator) need not load @kubernetes/client-node, which costs about 80 MiB
 * of resident memory for its auth providers alone.
 */
import { readFile } from 'node:fs/promises';
import * as https from 'node:https';
import path from 'node:path';
import { toKubeError } from './errors.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface InClusterOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Where the ServiceAccount token and ca.crt are mounted. */
  readonly serviceAccountDir?: string;
  readonly timeoutMs?: number;
}

/** True when the process looks like it runs in a pod with API access. */
export function inClusterAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!env.KUBERNETES_SERVICE_HOST && !!env.KUBERNETES_SERVICE_PORT;
}

/** JSON merge patch of the object at `apiPath` (e.g. /api/v1/namespaces/ns/configmaps/x). */
export async function inClusterMergePatch(
  apiPath: string,
  patch: unknown,
  o: InClusterOptions = {},
): Promise<void> {
  const env = o.env ?? process.env;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port)
    throw new Error('not in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set');
  const dir = o.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const [token, ca] = await Promise.all([
    readFile(path.join(dir, 'token'), 'utf8'),
    readFile(path.join(dir, 'ca.crt')),
  ]).catch((e: unknown) => {
    throw new Error(`cannot read the ServiceAccount token or CA in ${dir}`, { cause: e });
  });
  const body = Buffer.from(JSON.stringify(patch));
  const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = https.request(
      {
        method: 'PATCH',
        hostname: host, // an IPv6 address goes unbracketed in request options
        port,
        path: apiPath,
        ca, // verified against the service address, as client-node's in-cluster config does
        headers: {
          Authorization: `Bearer ${token.trim()}`,
          Accept: 'application/json',
          'Content-Type': 'application/merge-patch+json',
          'Content-Length': body.length,
        },
      },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () =>
          resolve({ status: r.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        r.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(o.timeoutMs ?? 15_000, () => req.destroy(new Error(`PATCH ${apiPath} timed out`)));
    req.end(body);
  });
  if (res.status < 200 || res.status >= 300) throw toKubeError(res.status, res.text, `PATCH ${apiPath}`);
}
