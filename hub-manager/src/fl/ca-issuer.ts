/** ServerCertificateIssuer over the addon CA (registration's CaStore). */
import { issuingCa } from '@ocm-fl/common/pki/bundle.js';
import { issueServerCertificate } from '@ocm-fl/common/pki/issue.js';
import { serverIssuanceBlockedUntil } from '../registration/ca-rotation-policy.js';
import type { CaStore } from '../registration/ca-store.js';
import type { ServerCertificateIssuer } from './deps.js';

export function caStoreIssuer(
  ca: CaStore,
  opts: { propagationSeconds?: number } = {},
): ServerCertificateIssuer {
  return {
    issue: (req) => {
      // Right after a CA rotation agents may not trust the new CA yet: refuse, the FL controller retries.
      const until = serverIssuanceBlockedUntil(ca.current(), new Date(), opts.propagationSeconds ?? 0);
      if (until)
        return Promise.reject(
          new Error(
            `the addon CA was just rotated: aggregator certificates wait until ${until.toISOString()} for agents to receive the new bundle`,
          ),
        );
      const { certPem, keyPem } = issueServerCertificate({ ca: ca.signingCa(), ...req });
      return Promise.resolve({ certPem, keyPem, caBundlePem: ca.bundle() });
    },
    bundle: () => ca.bundle(),
    issuedByCurrentCa: (certPem) => {
      try {
        return !!issuingCa(certPem, ca.signingCa().certPem);
      } catch {
        return false; // unparsable: issue a new one
      }
    },
  };
}
