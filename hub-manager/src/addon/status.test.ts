import { describe, it, expect } from '@jest/globals';
import { findCondition } from '@ocm-fl/common/api/meta.js';
import { SIGNER_NAME, agentCommonName, agentGroups } from '@ocm-fl/common/names.js';
import { CONTENT_HASH_ANNOTATION } from './render/manifest-work.js';
import { computeAddonStatus, type StatusInput } from './status.js';
import { newAddon, newWork } from './testing/fixtures.js';

const now = new Date('2026-01-01T00:00:00Z');
const base = (over: Partial<StatusInput> = {}): StatusInput => ({
  addon: newAddon('cluster1'),
  installNamespace: 'ns1',
  configReferences: [],
  desiredHash: 'h1',
  now,
  ...over,
});
const appliedWork = (): ReturnType<typeof newWork> =>
  newWork('cluster1', 'True', { annotations: { [CONTENT_HASH_ANNOTATION]: 'h1' } });

describe('computeAddonStatus', () => {
  it('sets namespace, registration, related objects and lease health mode', () => {
    const s = computeAddonStatus(base({ work: appliedWork() }));
    expect(s.namespace).toBe('ns1');
    expect(s.registrations).toEqual([
      {
        signerName: SIGNER_NAME,
        subject: { user: agentCommonName('cluster1'), groups: agentGroups('cluster1') },
      },
    ]);
    expect(s.relatedObjects).toEqual([
      {
        group: 'addon.open-cluster-management.io',
        resource: 'clustermanagementaddons',
        name: 'federated-learning',
      },
    ]);
    expect(s.healthCheck).toEqual({ mode: 'Lease' });
    expect(findCondition(s.conditions, 'RegistrationApplied')).toEqual(
      expect.objectContaining({ status: 'True', reason: 'SetPermissionApplied' }),
    );
  });

  it('ManifestApplied follows the work Applied condition', () => {
    const ok = computeAddonStatus(base({ work: appliedWork() }));
    expect(findCondition(ok.conditions, 'ManifestApplied')).toEqual(
      expect.objectContaining({ status: 'True', reason: 'AddonManifestApplied' }),
    );
    expect(findCondition(ok.conditions, 'Progressing')).toEqual(
      expect.objectContaining({ status: 'False', reason: 'Completed' }),
    );
    const bad = computeAddonStatus(base({ work: newWork('cluster1', 'False') }));
    expect(findCondition(bad.conditions, 'ManifestApplied')).toEqual(
      expect.objectContaining({ status: 'False', reason: 'AddonManifestAppliedFailed' }),
    );
    const failedWrite = computeAddonStatus(base({ workError: 'forbidden' }));
    expect(findCondition(failedWrite.conditions, 'ManifestApplied')).toEqual(
      expect.objectContaining({
        status: 'False',
        reason: 'ManifestWorkApplyFailed',
        message: 'failed to apply manifestWork: forbidden',
      }),
    );
  });

  it('a stale Applied condition (older generation) is not trusted', () => {
    const w = appliedWork();
    w.metadata.generation = 2;
    const s = computeAddonStatus(base({ work: w }));
    expect(findCondition(s.conditions, 'ManifestApplied')?.status).toBe('False');
    expect(findCondition(s.conditions, 'Progressing')).toEqual(
      expect.objectContaining({ status: 'True', reason: 'Progressing' }),
    );
  });

  it('Configured reflects config errors; success reads as OCM writes it (unknown variables are logged)', () => {
    const bad = computeAddonStatus(base({ configError: 'AddOnDeploymentConfig c1/x not found' }));
    expect(findCondition(bad.conditions, 'Configured')).toEqual(
      expect.objectContaining({
        status: 'False',
        reason: 'ConfigurationsNotConfigured',
        message: 'AddOnDeploymentConfig c1/x not found',
      }),
    );
    const good = computeAddonStatus(
      base({
        work: appliedWork(),
        unknownVariables: ['Foo'],
        configReferences: [{ group: 'g', resource: 'r', namespace: 'n', name: 'c' }],
      }),
    );
    const c = findCondition(good.conditions, 'Configured');
    expect(c).toMatchObject({
      status: 'True',
      reason: 'ConfigurationsConfigured',
      message: 'Configurations configured',
    });
    expect(good.configReferences).toEqual([{ group: 'g', resource: 'r', namespace: 'n', name: 'c' }]);
  });

  it('keeps conditions it does not own and is stable when nothing changed', () => {
    const addon = newAddon('cluster1');
    addon.status = {
      conditions: [
        {
          type: 'Available',
          status: 'True',
          reason: 'ManagedClusterAddOnLeaseUpdated',
          message: '',
          lastTransitionTime: 't0',
        },
      ],
    };
    const first = computeAddonStatus(base({ addon, work: appliedWork() }));
    expect(findCondition(first.conditions, 'Available')?.lastTransitionTime).toBe('t0');
    const again = computeAddonStatus(
      base({
        addon: { ...addon, status: first },
        work: appliedWork(),
        now: new Date('2027-01-01T00:00:00Z'),
      }),
    );
    expect(again).toEqual(first);
  });

  it('keeps the previous namespace when none was computed', () => {
    const addon = newAddon('cluster1');
    addon.status = { namespace: 'old' };
    expect(computeAddonStatus(base({ addon, installNamespace: undefined, configError: 'x' })).namespace).toBe(
      'old',
    );
  });

  it("writes Progressing and lastAppliedConfig as OCM's addon manager does, so both agree", () => {
    const ref = {
      group: 'addon.open-cluster-management.io',
      resource: 'addondeploymentconfigs',
      namespace: 'n',
      name: 'c',
      desiredConfig: { name: 'c', namespace: 'n', specHash: 'abc' },
    };
    const done = computeAddonStatus(base({ work: appliedWork(), configReferences: [ref] }));
    expect(findCondition(done.conditions, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'Completed',
      message: 'completed with no errors.',
    });
    expect(done.configReferences).toEqual([{ ...ref, lastAppliedConfig: ref.desiredConfig }]);
    // a new desired config while the work catches up: the last applied one stays
    const next = { ...ref, desiredConfig: { ...ref.desiredConfig, specHash: 'def' } };
    const addon = { ...newAddon('cluster1'), status: done };
    const busy = computeAddonStatus(
      base({ addon, configReferences: [next], desiredHash: 'h2', work: appliedWork() }),
    );
    expect(findCondition(busy.conditions, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'Progressing',
    });
    expect(busy.configReferences).toEqual([{ ...next, lastAppliedConfig: ref.desiredConfig }]);
  });
});
