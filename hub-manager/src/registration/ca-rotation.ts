import { silentLogger, type Logger } from '@ocm-fl/common/logger.js';
import { rotationDecision, ROTATE_CA_HANDLED_ANNOTATION } from './ca-rotation-policy.js';
import type { SettleDecision } from './ca-state.js';
import type { CaStore } from './ca-store.js';
import type { EventNote } from '../runtime/event-recorder.js';

export interface CaRotationOptions {
  ca: CaStore;
  /** How often the CA Secret is re-read, rotation requests and expiry checked, and retired CAs settled. */
  intervalMs: number;
  /** The signer's maximum client certificate lifetime (hard bound on what a retired CA signed). */
  maxValiditySeconds: number;
  /** How long a replaced agent certificate is assumed still in use; default 300 s. */
  replacementGraceSeconds?: number;
  /** Called after every change of the published bundle (the addon manager's resync). */
  onBundleChange: () => void;
  /** Each rotation step, as an Event about the CA Secret (best effort). */
  onStep?: (note: EventNote) => void;
  logger?: Logger;
  now?: () => Date;
}

export interface CaRotationTick {
  rotated?: 'requested' | 'expiring';
  settle: SettleDecision;
  bundleChanged: boolean;
}

export interface CaRotation {
  /** One pass now (also what the timer runs); passes never overlap. */
  tick(): Promise<CaRotationTick>;
  stop(): Promise<void>;
}

/** The steps one pass took, as Events: a new CA, a retired CA dropped, the bundle republished. Pure. */
export function rotationNotes(t: CaRotationTick, cas: number): EventNote[] {
  const out: EventNote[] = [];
  if (t.rotated)
    out.push({
      type: 'Normal',
      reason: 'CARotated',
      message:
        t.rotated === 'requested'
          ? 'new addon CA generated on request; the old one stays trusted until no agent needs it'
          : 'new addon CA generated: the current one is near expiry; the old one stays trusted until no agent needs it',
    });
  for (const d of t.settle.dropped)
    out.push({
      type: 'Normal',
      reason: 'CARetired',
      message: `retired CA ${d.fingerprint.slice(0, 23)} dropped from the bundle: ${d.why}`,
    });
  if (t.bundleChanged)
    out.push({
      type: 'Normal',
      reason: 'CABundlePublished',
      message: `CA bundle with ${cas} CA(s) republished to every agent`,
    });
  return out;
}

/**
 * The leader's CA maintenance loop: rotate on an operator request or near expiry, drop
 * retired CAs nothing depends on, and republish the bundle to every agent when it changed.
 * Runs only where the components run (the leader); all state is in the CA Secret, so a
 * restart or a new leader continues where the last one stopped.
 */
export function startCaRotation(o: CaRotationOptions): CaRotation {
  const log = o.logger ?? silentLogger;
  const now = o.now ?? ((): Date => new Date());
  let running: Promise<CaRotationTick> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const pass = async (): Promise<CaRotationTick> => {
    const before = o.ca.bundle();
    const state = await o.ca.load(); // re-read: the operator's annotation, or a replaced user Secret
    const decision = rotationDecision({
      state,
      annotations: o.ca.secretAnnotations(),
      userProvided: o.ca.userProvided,
      now: now(),
    });
    if (!decision.rotate && decision.ignoredRequest)
      log.warn('CA rotation requested on a user-provided CA Secret: replace that Secret instead', {
        secret: o.ca.secretName,
      });
    if (decision.rotate) {
      log.info('rotating the addon CA', { reason: decision.reason });
      await o.ca.rotate(
        now(),
        decision.handledToken ? { [ROTATE_CA_HANDLED_ANNOTATION]: decision.handledToken } : {},
      );
    }
    const settle = await o.ca.settle({
      now: now(),
      maxValiditySeconds: o.maxValiditySeconds,
      replacementGraceSeconds: o.replacementGraceSeconds ?? 300,
    });
    for (const k of settle.kept) log.debug('retired CA kept in the bundle', k);
    const bundleChanged = o.ca.bundle() !== before;
    if (bundleChanged) {
      log.info('addon CA bundle changed; republishing to agents', {
        cas: 1 + o.ca.current().retired.length,
      });
      o.onBundleChange();
    }
    const result = { ...(decision.rotate ? { rotated: decision.reason } : {}), settle, bundleChanged };
    for (const n of rotationNotes(result, 1 + o.ca.current().retired.length)) o.onStep?.(n);
    return result;
  };

  const tick = (): Promise<CaRotationTick> => {
    running ??= pass().finally(() => (running = undefined));
    return running;
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      tick()
        .catch((e: unknown) => log.error('CA rotation pass failed; retrying next interval', { error: e }))
        .finally(schedule);
    }, o.intervalMs);
  };
  tick()
    .catch((e: unknown) => log.error('CA rotation pass failed; retrying next interval', { error: e }))
    .finally(schedule);

  return {
    tick,
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
