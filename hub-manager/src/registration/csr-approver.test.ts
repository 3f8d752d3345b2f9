import { describe, expect, it } from '@jest/globals';
import {
  ADDON_DNS_SAN,
  ADDON_NAME_LABEL,
  agentCommonName,
  agentGroups,
  CLUSTER_NAME_LABEL,
} from '@ocm-fl/common/names.js';
import type { CertificateSigningRequest } from '@ocm-fl/common/pki/index.js';
import { basicConstraints } from '@ocm-fl/common/pki/extensions.js';
import { evaluateCsr, type ApproveContext, type RefusalCode } from './csr-approver.js';
import { newAddon, newCsr, newManagedCluster } from './fixtures.test-helpers.js';

const ctx: ApproveContext = {
  managedClusters: [
    newManagedCluster('cluster1'),
    newManagedCluster('cluster2'),
    newManagedCluster('gone', true),
    newManagedCluster('noaddon'),
    newManagedCluster('leaving'),
  ],
  managedClusterAddOns: [
    newAddon('cluster1'),
    newAddon('cluster2'),
    newAddon('gone'),
    newAddon('leaving', true),
  ],
};

const edit = (
  c: CertificateSigningRequest,
  f: (c: CertificateSigningRequest) => void,
): CertificateSigningRequest => {
  f(c);
  return c;
};
const pemToB64 = (pem: string): string => Buffer.from(pem).toString('base64');
const tamper = (c: CertificateSigningRequest): CertificateSigningRequest =>
  edit(c, (x) => {
    const pem = Buffer.from(x.spec!.request, 'base64').toString();
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 3] = der[der.length - 3]! ^ 0xff; // inside the signature
    x.spec!.request = pemToB64(
      `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`,
    );
  });

describe('evaluateCsr approves what the klusterlet sends', () => {
  it.each([
    ['ECDSA P-256 (the OCM default)', newCsr('cluster1')],
    ['ECDSA P-384', newCsr('cluster1', { curve: 'secp384r1', hash: 'sha384' })],
    ['RSA-2048', newCsr('cluster1', { keyType: 'rsa' })],
    ['no SAN at all', newCsr('cluster2', { dnsNames: [] })],
    ['organisations in separate RDNs', newCsr('cluster2', { multiValuedRdn: false })],
    ['usages client auth only', edit(newCsr('cluster1'), (c) => (c.spec!.usages = ['client auth']))],
  ])('%s', (_name, csr) => {
    expect(evaluateCsr(csr, ctx)).toEqual({ approve: true });
  });

  it('a renewal for the same identity', () => {
    const prev = {
      cluster: 'cluster1',
      commonName: agentCommonName('cluster1'),
      organizations: agentGroups('cluster1'),
    };
    expect(evaluateCsr(newCsr('cluster1'), { ...ctx, previousIdentity: prev })).toEqual({ approve: true });
  });

  it('the legacy system:authenticated group only when allowed', () => {
    const csr = newCsr('cluster1', {
      subject: { cn: agentCommonName('cluster1'), o: [...agentGroups('cluster1'), 'system:authenticated'] },
    });
    expect(evaluateCsr(csr, ctx)).toMatchObject({ approve: false, code: 'BadSubject' });
    expect(evaluateCsr(csr, { ...ctx, allowAuthenticatedGroup: true })).toEqual({ approve: true });
  });
});

const c1 = agentCommonName('cluster1');
const g1 = agentGroups('cluster1');
const hostile: [string, () => CertificateSigningRequest, RefusalCode, RegExp][] = [
  [
    'foreign signer',
    () => edit(newCsr('cluster1'), (c) => (c.spec!.signerName = 'kubernetes.io/kube-apiserver-client')),
    'ForeignSigner',
    /kube-apiserver-client/,
  ],
  [
    'name not starting with addon',
    () => edit(newCsr('cluster1'), (c) => (c.metadata.name = 'evil-cluster1')),
    'BadName',
    /evil-cluster1/,
  ],
  [
    'addon label missing',
    () => edit(newCsr('cluster1'), (c) => delete c.metadata.labels![ADDON_NAME_LABEL]),
    'BadAddonLabel',
    /undefined/,
  ],
  [
    'addon label names another addon',
    () => edit(newCsr('cluster1'), (c) => (c.metadata.labels![ADDON_NAME_LABEL] = 'other-addon')),
    'BadAddonLabel',
    /other-addon/,
  ],
  [
    'cluster label missing',
    () => edit(newCsr('cluster1'), (c) => delete c.metadata.labels![CLUSTER_NAME_LABEL]),
    'BadClusterLabel',
    /not a cluster name/,
  ],
  [
    'cluster label not a DNS label',
    () => edit(newCsr('cluster1'), (c) => (c.metadata.labels![CLUSTER_NAME_LABEL] = 'Cluster_1:x')),
    'BadClusterLabel',
    /Cluster_1/,
  ],
  [
    'cluster that does not exist',
    () => newCsr('nosuch'),
    'UnknownCluster',
    /ManagedCluster nosuch does not exist/,
  ],
  ['cluster being deleted', () => newCsr('gone'), 'ClusterDeleting', /gone is being deleted/],
  [
    'addon not enabled on the cluster',
    () => newCsr('noaddon'),
    'AddonNotEnabled',
    /noaddon\/federated-learning does not exist/,
  ],
  [
    'addon being disabled',
    () => newCsr('leaving'),
    'AddonDeleting',
    /leaving\/federated-learning is being deleted/,
  ],
  [
    'requester of another cluster',
    () =>
      edit(newCsr('cluster1'), (c) => (c.spec!.username = 'system:open-cluster-management:cluster2:agent')),
    'BadRequester',
    /cluster2:agent/,
  ],
  [
    'requester is a user',
    () => edit(newCsr('cluster1'), (c) => (c.spec!.username = 'kube:admin')),
    'BadRequester',
    /kube:admin/,
  ],
  [
    'requester prefix with nested id',
    () => edit(newCsr('cluster1'), (c) => (c.spec!.username = 'system:open-cluster-management:cluster1:a:b')),
    'BadRequester',
    /a:b/,
  ],
  [
    'server-auth-only usages',
    () => edit(newCsr('cluster1'), (c) => (c.spec!.usages = ['digital signature', 'server auth'])),
    'BadUsages',
    /server auth/,
  ],
  [
    'critical basicConstraints CA:TRUE requested',
    () => newCsr('cluster1', { extraExtensions: [basicConstraints(true)] }),
    'UnsupportedExtension',
    /basicConstraints/,
  ],
  [
    'extra usage',
    () => edit(newCsr('cluster1'), (c) => (c.spec!.usages = ['client auth', 'cert sign'])),
    'BadUsages',
    /cert sign/,
  ],
  [
    'unparsable PEM',
    () => edit(newCsr('cluster1'), (c) => (c.spec!.request = pemToB64('not a pem'))),
    'UnparsableRequest',
    /no PEM block/,
  ],
  [
    'garbage DER in PEM',
    () =>
      edit(
        newCsr('cluster1'),
        (c) =>
          (c.spec!.request = pemToB64(
            '-----BEGIN CERTIFICATE REQUEST-----\nMIIBIjAN\n-----END CERTIFICATE REQUEST-----\n',
          )),
      ),
    'UnparsableRequest',
    /unparsable/,
  ],
  ['bad self-signature', () => tamper(newCsr('cluster1')), 'BadSignature', /does not verify/],
  [
    'wrong cluster in subject',
    () => newCsr('cluster1', { subject: { cn: agentCommonName('cluster2'), o: agentGroups('cluster2') } }),
    'BadSubject',
    /CN .*cluster2/,
  ],
  [
    'CN of another addon',
    () => newCsr('cluster1', { subject: { cn: c1.replace('federated-learning', 'other'), o: g1 } }),
    'BadSubject',
    /addon:other/,
  ],
  [
    'CN truncated to 64 characters',
    () => newCsr('cluster1', { subject: { cn: c1.slice(0, 64), o: g1 } }),
    'BadSubject',
    /is not/,
  ],
  [
    'extra organisation system:masters',
    () => newCsr('cluster1', { subject: { cn: c1, o: [...g1, 'system:masters'] } }),
    'BadSubject',
    /system:masters/,
  ],
  [
    'missing organisation',
    () => newCsr('cluster1', { subject: { cn: c1, o: [g1[0]!] } }),
    'BadSubject',
    /organisations/,
  ],
  [
    'duplicated organisation instead of the second',
    () => newCsr('cluster1', { subject: { cn: c1, o: [g1[0]!, g1[0]!] } }),
    'BadSubject',
    /organisations/,
  ],
  [
    'extra OU',
    () => newCsr('cluster1', { subject: { cn: c1, o: g1, ou: ['x'] } }),
    'BadSubject',
    /other than CN and O/,
  ],
  ['RSA-1024', () => newCsr('cluster1', { keyType: 'rsa', rsaBits: 1024 }), 'WeakKey', /1024 bits/],
  ['ECDSA P-192', () => newCsr('cluster1', { curve: 'prime192v1' }), 'WeakKey', /P-192/],
  ['ECDSA P-521', () => newCsr('cluster1', { curve: 'secp521r1', hash: 'sha512' }), 'WeakKey', /P-521/],
  ['ECDSA secp256k1', () => newCsr('cluster1', { curve: 'secp256k1' }), 'WeakKey', /secp256k1/],
  ['IP SAN', () => newCsr('cluster1', { ipAddresses: ['10.0.0.1'] }), 'BadSubjectAltNames', /10\.0\.0\.1/],
  [
    'URI SAN',
    () => newCsr('cluster1', { uris: ['spiffe://cluster.local/ns/x/sa/y'] }),
    'BadSubjectAltNames',
    /spiffe/,
  ],
  [
    'email SAN',
    () => newCsr('cluster1', { emails: ['admin@example.com'] }),
    'BadSubjectAltNames',
    /admin@example.com/,
  ],
  [
    'extra DNS SAN',
    () => newCsr('cluster1', { dnsNames: [ADDON_DNS_SAN, 'kubernetes.default.svc'] }),
    'BadSubjectAltNames',
    /kubernetes.default.svc/,
  ],
  [
    'only a foreign DNS SAN',
    () => newCsr('cluster1', { dnsNames: ['evil.example'] }),
    'BadSubjectAltNames',
    /evil.example/,
  ],
];

describe('hostile corpus: nothing is approved, each refusal says why', () => {
  it(`has at least 20 cases (${hostile.length})`, () => expect(hostile.length).toBeGreaterThanOrEqual(20));
  it.each(hostile)('%s', (_name, make, code, message) => {
    const verdict = evaluateCsr(make(), ctx);
    expect(verdict.approve).toBe(false);
    if (verdict.approve) return;
    expect(verdict.code).toBe(code);
    expect(verdict.reason).toMatch(message);
  });

  it('a renewal asking for another identity', () => {
    const prev = {
      cluster: 'cluster2',
      commonName: agentCommonName('cluster2'),
      organizations: agentGroups('cluster2'),
    };
    expect(evaluateCsr(newCsr('cluster1'), { ...ctx, previousIdentity: prev })).toMatchObject({
      approve: false,
      code: 'IdentityChanged',
    });
  });
});
