/** The PKI toolkit: ECDSA/RSA CA, CSR parsing and building, certificate issuing and inspection. */
export * from './bundle.js';
export * from './ca.js';
export * from './cert-info.js';
export * from './csr-build.js';
export * from './csr-object.js';
export * from './csr-parse.js';
export * from './issue.js';
export type { KeyDescription, KeyType } from './keys.js';
export { describeKey } from './keys.js';
export type { Subject, SubjectInput } from './name.js';
