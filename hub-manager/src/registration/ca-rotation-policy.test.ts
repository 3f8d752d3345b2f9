import { describe, expect, it } from '@jest/globals';
import { generateCa } from '@ocm-fl/common/pki/index.js';
import {
  ROTATE_CA_ANNOTATION,
  ROTATE_CA_HANDLED_ANNOTATION,
  rotationDecision,
  serverIssuanceBlockedUntil,
} from './ca-rotation-policy.js';
import { rotationNotes } from './ca-rotation.js';
import { initialState, startRotation } from './ca-state.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const day = 86_400_000;
// 10-day CA created at T0 (generateCa backdates notBefore by 5 minutes).
const fresh = initialState(generateCa({ validityDays: 10, now: T0 }));

describe('rotationDecision', () => {
  it('does nothing for a young CA without a request', () => {
    expect(rotationDecision({ state: fresh, annotations: {}, userProvided: false, now: T0 })).toEqual({
      rotate: false,
    });
  });

  it('rotates when less than a fifth of the CA life is left, not before', () => {
    const at = (d: number): Date => new Date(T0.getTime() + d * day);
    const decide = (now: Date): ReturnType<typeof rotationDecision> =>
      rotationDecision({ state: fresh, annotations: undefined, userProvided: false, now });
    expect(decide(at(7.9)).rotate).toBe(false);
    expect(decide(at(8.1))).toEqual({ rotate: true, reason: 'expiring' });
    expect(
      rotationDecision({
        state: fresh,
        annotations: {},
        userProvided: false,
        now: at(5),
        expiryFraction: 0.6,
      }).rotate,
    ).toBe(true);
  });

  it('rotates once per new value of the rotate-ca annotation', () => {
    const requested = { [ROTATE_CA_ANNOTATION]: 'r1' };
    expect(rotationDecision({ state: fresh, annotations: requested, userProvided: false, now: T0 })).toEqual({
      rotate: true,
      reason: 'requested',
      handledToken: 'r1',
    });
    // Written with the new CA: a restart or another leader sees it as done.
    const handled = { ...requested, [ROTATE_CA_HANDLED_ANNOTATION]: 'r1' };
    expect(
      rotationDecision({ state: fresh, annotations: handled, userProvided: false, now: T0 }).rotate,
    ).toBe(false);
    const again = { ...handled, [ROTATE_CA_ANNOTATION]: 'r2' };
    expect(
      rotationDecision({ state: fresh, annotations: again, userProvided: false, now: T0 }),
    ).toMatchObject({
      rotate: true,
      handledToken: 'r2',
    });
    expect(
      rotationDecision({
        state: fresh,
        annotations: { [ROTATE_CA_ANNOTATION]: '' },
        userProvided: false,
        now: T0,
      }).rotate,
    ).toBe(false);
  });

  it('never rotates a user-provided CA, and says a request was ignored', () => {
    const late = new Date(T0.getTime() + 9.9 * day);
    expect(
      rotationDecision({
        state: fresh,
        annotations: { [ROTATE_CA_ANNOTATION]: 'x' },
        userProvided: true,
        now: late,
      }),
    ).toEqual({ rotate: false, ignoredRequest: 'x' });
    expect(rotationDecision({ state: fresh, annotations: {}, userProvided: true, now: late })).toEqual({
      rotate: false,
    });
  });
});

describe('serverIssuanceBlockedUntil', () => {
  it('is open without a rotation', () => {
    expect(serverIssuanceBlockedUntil(fresh, T0, 120)).toBeUndefined();
  });

  it('blocks for the propagation time after the latest rotation, then opens', () => {
    const r1 = new Date(T0.getTime() + day);
    const rotated = startRotation(fresh, generateCa({ now: r1 }), r1);
    expect(serverIssuanceBlockedUntil(rotated, new Date(r1.getTime() + 119_000), 120)).toEqual(
      new Date(r1.getTime() + 120_000),
    );
    expect(serverIssuanceBlockedUntil(rotated, new Date(r1.getTime() + 120_000), 120)).toBeUndefined();
    // A second rotation while the first is unsettled: the newest counts.
    const r2 = new Date(r1.getTime() + 600_000);
    const twice = startRotation(rotated, generateCa({ now: r2 }), r2);
    expect(serverIssuanceBlockedUntil(twice, new Date(r2.getTime() + 1000), 120)).toEqual(
      new Date(r2.getTime() + 120_000),
    );
  });
});

describe('rotationNotes', () => {
  it('turns each step of a pass into an Event note, and a quiet pass into none', () => {
    const settle = {
      state: {} as never,
      kept: [],
      dropped: [{ fingerprint: 'AA:BB:CC:DD:EE:FF:00:11:22:33', why: 'all it signed expired' }],
    };
    const notes = rotationNotes({ rotated: 'expiring', settle, bundleChanged: true }, 2);
    expect(notes.map((n) => n.reason)).toEqual(['CARotated', 'CARetired', 'CABundlePublished']);
    expect(notes[2]?.message).toContain('2 CA(s)');
    expect(rotationNotes({ settle: { ...settle, dropped: [] }, bundleChanged: false }, 1)).toEqual([]);
  });
});
