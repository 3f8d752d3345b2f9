import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../logger.js';
import { startApiServer, type ApiServer } from '@ocm-fl/e2e/apiserver/index.js';
import { KubeClient } from './client.js';
import { KubeError } from './errors.js';
import { inClusterAvailable, inClusterMergePatch } from './in-cluster.js';

let api: ApiServer;
let admin: KubeClient;
beforeAll(async () => {
  api = await startApiServer({ logger: silentLogger });
  admin = KubeClient.fromKubeConfig(api.kubeConfig());
  await admin.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'state', namespace: 'default' },
  });
});
afterAll(async () => {
  await api.close();
});

/** A pod's view: service env plus a mounted ServiceAccount directory with token and CA. */
function pod(token: string): { env: NodeJS.ProcessEnv; serviceAccountDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sa-'));
  writeFileSync(join(dir, 'token'), `${token}\n`);
  writeFileSync(join(dir, 'ca.crt'), api.caPem);
  const url = new URL(api.url);
  return {
    env: { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port },
    serviceAccountDir: dir,
  };
}

describe('in-cluster merge patch (no client-node)', () => {
  const path = '/api/v1/namespaces/default/configmaps/state';

  it('patches an object with the mounted token and CA, re-reading the token each time', async () => {
    const p = pod(api.addUser('system:serviceaccount:default:aggregator'));
    expect(inClusterAvailable(p.env)).toBe(true);
    await inClusterMergePatch(path, { data: { 'state.json': '{"round":1}' } }, p);
    // The token file is read per request: a revoked one fails at once, a rotated one works.
    writeFileSync(join(p.serviceAccountDir, 'token'), 'revoked');
    await expect(inClusterMergePatch(path, { data: {} }, p)).rejects.toMatchObject({ status: 401 });
    writeFileSync(join(p.serviceAccountDir, 'token'), api.addUser('rotated'));
    await inClusterMergePatch(path, { data: { 'state.json': '{"round":2}' } }, p);
    const cm = await admin.get<
      { data?: Record<string, string> } & { apiVersion: string; kind: string; metadata: { name: string } }
    >('v1', 'ConfigMap', 'state', 'default');
    expect(cm?.data).toEqual({ 'state.json': '{"round":2}' });
  });

  it('fails clearly: unknown token (401), missing object (404), no pod environment', async () => {
    const bad = pod('not-a-token');
    await expect(inClusterMergePatch(path, { data: {} }, bad)).rejects.toMatchObject({ status: 401 });
    const good = pod(api.addUser('sa'));
    const missing = inClusterMergePatch('/api/v1/namespaces/default/configmaps/nope', { data: {} }, good);
    await expect(missing).rejects.toBeInstanceOf(KubeError);
    await expect(missing).rejects.toMatchObject({ status: 404 });
    expect(inClusterAvailable({})).toBe(false);
    await expect(inClusterMergePatch(path, {}, { env: {} })).rejects.toThrow(/KUBERNETES_SERVICE_HOST/);
  });
});
