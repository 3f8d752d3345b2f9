/** A self-made CA and serving certificate with P-256 keys (fast to generate, cheap TLS handshakes). */
import { generateKeyPairSync } from 'node:crypto';
import { issueCertificate, spkiOf } from './x509.js';

export interface CertPair {
  certPem: string;
  keyPem: string;
}

export interface ServerTls {
  ca: CertPair;
  serving: CertPair;
}

function ecKey(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

/** Create a CA and a serving certificate for 127.0.0.1/localhost/::1 (plus extra hosts) signed by it. */
export function makeServerTls(commonName: string, extraHosts: string[] = []): ServerTls {
  const caKey = ecKey();
  const caSubject = { commonName: `${commonName}-ca` };
  const caIssuer = { subject: caSubject, keyPem: caKey, spkiDer: spkiOf(caKey) };
  const caCert = issueCertificate({ subject: caSubject, spkiDer: caIssuer.spkiDer, isCA: true }, caIssuer);
  const srvKey = ecKey();
  const srvCert = issueCertificate(
    {
      subject: { commonName },
      spkiDer: spkiOf(srvKey),
      hosts: ['127.0.0.1', 'localhost', '::1', ...extraHosts],
      usages: ['serverAuth'],
    },
    caIssuer,
  );
  return { ca: { certPem: caCert, keyPem: caKey }, serving: { certPem: srvCert, keyPem: srvKey } };
}
