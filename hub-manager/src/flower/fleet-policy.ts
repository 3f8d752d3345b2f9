/**
 * What the Flower gateway lets through, as a pure decision (the I/O is in gateway.ts).
 *
 * Flower 1.42 serves its Fleet API (SuperNodes), Control API (`flwr` CLI: register nodes,
 * start runs) and Runtime API on one HTTP port, and the open-source Control API has no
 * authentication. The gateway is the only way in from a cluster and forwards a request only
 * when, cheapest check first:
 *  1. the peer certificate (already verified against the addon CA by TLS) names an agent of
 *     a cluster (`clusterFromCommonName`);
 *  2. that cluster is admitted to this job (selected by its placement, addon available);
 *  3. the path is one of the Fleet API's (`/v1/fleet/<op>`), never Control or Runtime;
 *  4. the request carries a SuperNode public key (`flwr-public-key`) and that key is bound to
 *     this cluster, or is new and the cluster still has room for a key (it is then registered
 *     with the SuperLink for this cluster, see key-registry.ts).
 * The SuperLink itself then checks the SuperNode's signature over the timestamp; the gateway
 * adds what that signature lacks: the key can only be used over its own cluster's connection.
 */
import { clusterFromCommonName } from '@ocm-fl/common/names.js';
import type { KeyOwner } from './key-registry.js';

/** The Fleet API operations of flwr 1.42 (flwr/superlink/routers/fleet/router.py). */
export const FLEET_OPERATIONS: ReadonlySet<string> = new Set([
  'register-node',
  'activate-node',
  'deactivate-node',
  'unregister-node',
  'send-node-heartbeat',
  'pull-messages',
  'push-messages',
  'get-run',
  'get-fab',
  'push-object',
  'pull-object',
  'confirm-message-received',
]);

export type Refusal =
  | 'NotAnAgent'
  | 'ClusterNotAdmitted'
  | 'PathNotAllowed'
  | 'MissingNodeKey'
  | 'KeyOfAnotherCluster'
  | 'TooManyKeys';

export interface FleetRequest {
  /** The peer certificate's subject CN (TLS already verified the chain). */
  commonName: string;
  method: string;
  path: string;
  /** The `flwr-public-key` header: base64 of the SuperNode's PEM public key. */
  publicKey?: string;
}

export type Decision =
  | { allow: true; cluster: string; register: boolean }
  | { allow: false; refusal: Refusal; cluster?: string; message: string };

export interface PolicyView {
  admitted: ReadonlySet<string>;
  owner: (publicKey: string) => KeyOwner | undefined;
  keysOf: (cluster: string) => number;
  maxKeysPerCluster: number;
}

const refuse = (refusal: Refusal, message: string, cluster?: string): Decision => ({
  allow: false,
  refusal,
  message,
  ...(cluster ? { cluster } : {}),
});

export function decide(req: FleetRequest, view: PolicyView): Decision {
  const cluster = clusterFromCommonName(req.commonName);
  if (!cluster)
    return refuse('NotAnAgent', `certificate CN ${JSON.stringify(req.commonName)} is not an addon agent`);
  if (!view.admitted.has(cluster))
    return refuse('ClusterNotAdmitted', `cluster ${cluster} is not selected for this job`, cluster);
  const m = /^\/v1\/fleet\/([a-z-]+)$/.exec(req.path.split('?')[0] ?? '');
  if (req.method !== 'POST' || !m || !FLEET_OPERATIONS.has(m[1] ?? ''))
    return refuse('PathNotAllowed', `${req.method} ${req.path} is not a Fleet API operation`, cluster);
  if (!req.publicKey) return refuse('MissingNodeKey', 'no SuperNode public key (flwr-public-key)', cluster);
  const owner = view.owner(req.publicKey);
  if (owner && owner.cluster !== cluster)
    return refuse(
      'KeyOfAnotherCluster',
      `SuperNode key is bound to another cluster, used by ${cluster}`,
      cluster,
    );
  if (owner) return { allow: true, cluster, register: false };
  if (view.keysOf(cluster) >= view.maxKeysPerCluster)
    return refuse(
      'TooManyKeys',
      `cluster ${cluster} already registered ${view.keysOf(cluster)} SuperNode keys`,
      cluster,
    );
  return { allow: true, cluster, register: true };
}
