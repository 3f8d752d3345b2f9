import { describe, expect, it } from '@jest/globals';
import { leaseDecision, microTime, type Lease } from './lease-lock.js';

const lease = (holder: string, renew: Date, duration = 15): Lease => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'l', namespace: 'n' },
  spec: { holderIdentity: holder, renewTime: microTime(renew), leaseDurationSeconds: duration },
});

describe('leaseDecision', () => {
  const now = new Date('2025-01-01T00:00:30Z');
  it('creates a missing lease, renews its own, waits on a live one, takes over an expired one', () => {
    expect(leaseDecision(undefined, 'a', now)).toBe('create');
    expect(leaseDecision(lease('a', new Date('2025-01-01T00:00:00Z')), 'a', now)).toBe('renew');
    expect(leaseDecision(lease('b', new Date('2025-01-01T00:00:20Z')), 'a', now)).toBe('wait');
    expect(leaseDecision(lease('b', new Date('2025-01-01T00:00:10Z')), 'a', now)).toBe('takeover');
    expect(leaseDecision(lease('', new Date('2025-01-01T00:00:29Z')), 'a', now)).toBe('takeover');
  });
  it('writes MicroTime with six fractional digits', () => {
    expect(microTime(new Date('2025-01-01T00:00:00.123Z'))).toBe('2025-01-01T00:00:00.123000Z');
  });
});
