/** ServerCertificateIssuer over the addon CA (registration's CaStore). */
import { issueServerCertificate } from '@ocm-fl/common/pki/issue.js';
import type { CaStore } from '../registration/ca-store.js';
import type { ServerCertificateIssuer } from './deps.js';

export function caStoreIssuer(ca: CaStore): ServerCertificateIssuer {
  return {
    issue: (req) => {
      const { certPem, keyPem } = issueServerCertificate({ ca: ca.signingCa(), ...req });
      return Promise.resolve({ certPem, keyPem, caBundlePem: ca.bundle() });
    },
  };
}
