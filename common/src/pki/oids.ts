/** Object identifiers used by the PKI code, by name. */
export const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
} as const;

/** Signature algorithms accepted on CSRs and produced on certificates, with their digest. */
export const SIGNATURE_HASH: Readonly<Record<string, { hash: string; key: 'rsa' | 'ec' }>> = {
  [OID.sha256WithRSA]: { hash: 'sha256', key: 'rsa' },
  [OID.sha384WithRSA]: { hash: 'sha384', key: 'rsa' },
  [OID.sha512WithRSA]: { hash: 'sha512', key: 'rsa' },
  [OID.ecdsaWithSHA256]: { hash: 'sha256', key: 'ec' },
  [OID.ecdsaWithSHA384]: { hash: 'sha384', key: 'ec' },
  [OID.ecdsaWithSHA512]: { hash: 'sha512', key: 'ec' },
};
