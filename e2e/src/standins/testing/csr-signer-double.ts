/**
 * TEST DOUBLE of the hub-manager's CSR approver/signer: approves every CSR for one signer and
 * signs it with a throw-away CA, so the registration stand-in can be tested on its own. It
 * checks nothing; the real approver lives in hub-manager/src/registration.
 */
import { generateCa, loadCa, type CaPair } from '@ocm-fl/common/pki/ca.js';
import { parseCsr } from '@ocm-fl/common/pki/csr-parse.js';
import { issueCertificate } from '@ocm-fl/common/pki/issue.js';
import { CSR_API_VERSION, type CertificateSigningRequest } from '@ocm-fl/common/pki/csr-object.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { Informer } from '@ocm-fl/common/kube/informer.js';
import { KeyedQueue } from '@ocm-fl/common/kube/keyed-queue.js';

export class CsrSignerDouble {
  readonly ca: CaPair = generateCa({ commonName: 'test-double-ca' });
  signed = 0;
  private readonly csrs: Informer<CertificateSigningRequest>;
  private readonly queue = new KeyedQueue((k) => this.sign(k));

  constructor(
    private readonly hub: KubeClient,
    private readonly signer: string,
    private readonly lifetimeMs: number,
  ) {
    this.csrs = new Informer(hub, CSR_API_VERSION, 'CertificateSigningRequest');
    this.csrs.onChange((t, c) => t !== 'DELETED' && this.queue.enqueue(c.metadata.name ?? ''));
  }

  start(): Promise<void> {
    return this.csrs.start();
  }

  async stop(): Promise<void> {
    this.csrs.stop();
    await this.queue.stop();
  }

  private async sign(name: string): Promise<void> {
    let csr = this.csrs.get(name);
    if (!csr || csr.spec?.signerName !== this.signer || csr.status?.certificate) return;
    if (!csr.status?.conditions?.some((c) => c.type === 'Approved')) {
      const now = new Date().toISOString();
      csr = await this.hub.putSubresource<CertificateSigningRequest>(
        {
          ...csr,
          status: {
            conditions: [
              {
                type: 'Approved',
                status: 'True',
                reason: 'TestDouble',
                message: 'approved by a test double',
                lastUpdateTime: now,
              },
            ],
          },
        },
        'approval',
      );
    }
    const parsed = parseCsr(Buffer.from(csr.spec?.request ?? '', 'base64').toString());
    const now = new Date();
    const certPem = issueCertificate({
      ca: loadCa(this.ca),
      csr: parsed,
      notBefore: new Date(now.getTime() - 1000),
      notAfter: new Date(now.getTime() + this.lifetimeMs),
      usages: ['client'],
    });
    await this.hub.updateStatus({
      ...csr,
      status: { ...csr.status, certificate: Buffer.from(certPem).toString('base64') },
    });
    this.signed++;
  }
}
