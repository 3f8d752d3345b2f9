import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { FL_GROUP } from '@ocm-fl/common/names.js';
import { loadCa, splitPemBundle } from '@ocm-fl/common/pki/index.js';
import {
  caBundle,
  fingerprintOf,
  type CaState,
  type IssuedIndex,
  type IssuedRecord,
  type RetiredCa,
} from './ca-state.js';

/** Pure encoding of the CA state into a Secret and the issued index into a ConfigMap. */
export const DEFAULT_CA_SECRET = 'federated-learning-addon-ca';
export const issuedIndexName = (caSecret: string): string => `${caSecret}-issued`;

/** On the CA Secret: fingerprint of the signing CA (changes on rotation). */
export const CA_FINGERPRINT_ANNOTATION = `${FL_GROUP}/ca-fingerprint`;
/** On the CA Secret: SHA-256 fingerprints of every CA in the bundle, comma-separated, signing CA first. */
export const CA_BUNDLE_ANNOTATION = `${FL_GROUP}/ca-bundle-fingerprints`;
/** On the index ConfigMap: every certificate signed since this time is recorded. */
export const TRACKED_SINCE_ANNOTATION = `${FL_GROUP}/tracked-since`;

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}
export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined): string | undefined =>
  s === undefined ? undefined : Buffer.from(s, 'base64').toString();

export function caSecret(name: string, namespace: string, state: CaState): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      annotations: {
        [CA_FINGERPRINT_ANNOTATION]: state.currentFingerprint,
        [CA_BUNDLE_ANNOTATION]: [state.currentFingerprint, ...state.retired.map((r) => r.fingerprint)].join(
          ',',
        ),
      },
    },
    type: 'Opaque',
    data: {
      'ca.crt': b64(state.current.certPem),
      'ca.key': b64(state.current.keyPem),
      'ca-bundle.crt': b64(caBundle(state)),
      'retired.json': b64(JSON.stringify(state.retired)),
    },
  };
}

/** Read the state from a Secret we wrote, or from a user-provided one (`ca.crt` may be a bundle; `tls.*` accepted). */
export function caStateFromSecret(secret: Secret): CaState {
  const d = secret.data ?? {};
  const certPem = unb64(d['ca.crt'] ?? d['tls.crt']);
  const keyPem = unb64(d['ca.key'] ?? d['tls.key']);
  const where = `Secret ${secret.metadata.namespace}/${secret.metadata.name}`;
  if (!certPem || !keyPem) throw new Error(`${where} lacks ca.crt/ca.key`);
  let loaded;
  try {
    loaded = loadCa({ certPem, keyPem });
  } catch (e) {
    throw new Error(`${where} does not hold a usable CA: ${(e as Error).message}`, { cause: e });
  }
  const retiredJson = unb64(d['retired.json']);
  const retired: RetiredCa[] = retiredJson
    ? (JSON.parse(retiredJson) as RetiredCa[])
    : // a user bundle: the other certificates stay trusted for as long as the user keeps them
      splitPemBundle(certPem)
        .filter((c) => fingerprintOf(c) !== loaded.fingerprint)
        .map((c) => ({
          certPem: c,
          fingerprint: fingerprintOf(c),
          retiredAt: new Date(0).toISOString(),
          notBefore: '',
          notAfter: '',
        }));
  return { current: { certPem: loaded.certPem, keyPem }, currentFingerprint: loaded.fingerprint, retired };
}

export function issuedIndexFromConfigMap(cm: ConfigMap | undefined): IssuedIndex | undefined {
  const since = cm?.metadata.annotations?.[TRACKED_SINCE_ANNOTATION];
  if (!cm || !since) return undefined;
  const clusters: Record<string, IssuedRecord> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    try {
      clusters[k] = JSON.parse(v) as IssuedRecord;
    } catch {
      // a hand-edited entry is ignored; trackedSince still protects retired CAs by time
    }
  }
  return { trackedSince: since, clusters };
}

export function emptyIssuedIndex(name: string, namespace: string, trackedSince: Date): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, annotations: { [TRACKED_SINCE_ANNOTATION]: trackedSince.toISOString() } },
    data: {},
  };
}
