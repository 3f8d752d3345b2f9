import { FL_GROUP } from '@ocm-fl/common/names.js';
import { caNeedsRotation, type CaState } from './ca-state.js';

/**
 * Pure decisions of CA rotation (the loop is ca-rotation.ts).
 *
 * Operator trigger: set annotation ROTATE_CA_ANNOTATION on the CA Secret to any value not
 * used before. The rotation writes that value into ROTATE_CA_HANDLED_ANNOTATION in the same
 * (resourceVersion-checked) Secret update as the new CA, so a restart or a new leader sees the
 * request as done and never rotates twice for one request.
 */
export const ROTATE_CA_ANNOTATION = `${FL_GROUP}/rotate-ca`;
export const ROTATE_CA_HANDLED_ANNOTATION = `${FL_GROUP}/rotate-ca-handled`;

export type RotationDecision =
  | { rotate: false; ignoredRequest?: string }
  | { rotate: true; reason: 'requested' | 'expiring'; handledToken?: string };

export function rotationDecision(input: {
  state: CaState;
  annotations: Record<string, string> | undefined;
  userProvided: boolean;
  now: Date;
  /** Rotate automatically when less than this fraction of the signing CA's life is left. */
  expiryFraction?: number;
}): RotationDecision {
  const token = input.annotations?.[ROTATE_CA_ANNOTATION];
  const requested = !!token && token !== input.annotations?.[ROTATE_CA_HANDLED_ANNOTATION];
  if (input.userProvided)
    // the user owns that Secret and its key: rotating means replacing it there
    return requested ? { rotate: false, ignoredRequest: token } : { rotate: false };
  if (requested) return { rotate: true, reason: 'requested', handledToken: token };
  if (caNeedsRotation(input.state, input.now, input.expiryFraction))
    return { rotate: true, reason: 'expiring' };
  return { rotate: false };
}

/**
 * Aggregator server certificates come from the signing CA, but a fresh one is only trusted by
 * agents once the bundle carrying it has reached them (ManifestWork → ConfigMap → kubelet →
 * agent reload). So for `propagationSeconds` after a rotation server certificates are refused
 * (the FL controller retries); afterwards agents hold old+new, and the new CA outlives the old.
 * Returns when issuing is allowed again, or undefined when it is allowed now.
 */
export function serverIssuanceBlockedUntil(
  state: CaState,
  now: Date,
  propagationSeconds: number,
): Date | undefined {
  const lastRotation = state.retired[0]?.retiredAt;
  if (!lastRotation) return undefined;
  const until = new Date(Date.parse(lastRotation) + propagationSeconds * 1000);
  return until > now ? until : undefined;
}
