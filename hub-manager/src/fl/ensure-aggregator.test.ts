import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { federatedLearningCrd } from '@ocm-fl/common/api/crds/federated-learning-crd.js';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { issuingCa } from '@ocm-fl/common/pki/bundle.js';
import { generateCa, joinPems, loadCa, type LoadedCa } from '@ocm-fl/common/pki/index.js';
import { issueServerCertificate } from '@ocm-fl/common/pki/issue.js';
import { startApiServer, type ApiServer } from '@ocm-fl/e2e/apiserver/index.js';
import type { ServerCertificateIssuer } from './deps.js';
import { ensureAggregator } from './ensure-aggregator.js';
import { localJobFiles } from './deps.js';
import { flNames } from './names.js';
import { tlsSecretPems, type TlsSecret } from './render/tls-secret.js';
import { isSpecProblem, resolveSpec, type ResolvedJob } from './spec.js';
import { newFl } from './testing/fixtures.js';

let api: ApiServer;
let client: KubeClient;
beforeAll(async () => {
  api = await startApiServer({ logger: silentLogger });
  client = KubeClient.fromKubeConfig(api.kubeConfig());
  await client.create(federatedLearningCrd());
});
afterAll(async () => {
  await api.close();
});

/** TEST DOUBLE of the addon CA as the FL controller sees it, switchable through a rotation. */
class RotatingIssuer implements ServerCertificateIssuer {
  blocked = false;
  constructor(
    public signing: LoadedCa,
    public trusted: LoadedCa[],
  ) {}
  issue(req: {
    commonName: string;
    dnsNames: string[];
    ipAddresses: string[];
  }): ReturnType<ServerCertificateIssuer['issue']> {
    if (this.blocked) return Promise.reject(new Error('the addon CA was just rotated'));
    return Promise.resolve({
      ...issueServerCertificate({ ca: this.signing, ...req }),
      caBundlePem: this.bundle(),
    });
  }
  bundle(): string {
    return joinPems(this.trusted.map((c) => c.certPem));
  }
  issuedByCurrentCa(certPem: string): boolean {
    return !!issuingCa(certPem, this.signing.certPem);
  }
}

describe('aggregator TLS Secret across an addon-CA rotation', () => {
  it('trusts the new bundle at once, re-issues the serving certificate when allowed, then stays put', async () => {
    // A stored CR: the objects are owned by it (and garbage-collected without it).
    const fl = await client.create(newFl());
    const r = resolveSpec(fl, { hubManagerImage: 'hub:dev' });
    if (isSpecProblem(r)) throw new Error(r.message);
    const job: ResolvedJob = r;
    const ca1 = loadCa(generateCa());
    const ca2 = loadCa(generateCa());
    const issuer = new RotatingIssuer(ca1, [ca1]);
    const deps = {
      client,
      logger: silentLogger,
      settings: { hubManagerImage: 'hub:dev', files: localJobFiles(() => undefined), certificates: issuer },
    };
    const secret = async (): Promise<TlsSecret & { pems: ReturnType<typeof tlsSecretPems> }> => {
      const s = await client.get<TlsSecret>('v1', 'Secret', flNames.tlsSecret(job), job.namespace);
      if (!s) throw new Error('no TLS Secret');
      return { ...s, pems: tlsSecretPems(s) };
    };

    await ensureAggregator(deps, job, ['cluster1']);
    const first = await secret();
    expect(first.pems.bundlePem).toBe(ca1.certPem);
    expect(issuingCa(first.pems.certPem, ca1.certPem)).toBeDefined();

    // Rotation starts: bundle old+new, new signing CA, issuance held back for propagation.
    issuer.signing = ca2;
    issuer.trusted = [ca1, ca2];
    issuer.blocked = true;
    await expect(ensureAggregator(deps, job, ['cluster1'])).rejects.toThrow(/just rotated/);
    const held = await secret();
    expect(held.pems.bundlePem).toBe(issuer.bundle()); // new-CA client certificates get in now
    expect(held.pems.certPem).toBe(first.pems.certPem); // still serving the old certificate

    // Propagation over: a serving certificate from the new CA, same bundle.
    issuer.blocked = false;
    await ensureAggregator(deps, job, ['cluster1']);
    const renewed = await secret();
    expect(issuingCa(renewed.pems.certPem, ca2.certPem)).toBeDefined();
    expect(renewed.pems.bundlePem).toBe(issuer.bundle());

    // Settled: the old CA leaves the bundle; afterwards nothing changes on further reconciles.
    issuer.trusted = [ca2];
    await ensureAggregator(deps, job, ['cluster1']);
    const settled = await secret();
    expect(settled.pems.bundlePem).toBe(ca2.certPem);
    await ensureAggregator(deps, job, ['cluster1']);
    expect((await secret()).metadata.resourceVersion).toBe(settled.metadata.resourceVersion);
  });
});
