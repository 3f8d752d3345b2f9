import { describe, it, expect } from '@jest/globals';
import { ADDON_GROUP } from '@ocm-fl/common/api/ocm.js';
import { INSTALLED_BY_LABEL, PLACEMENTS_ANNOTATION, planPlacementInstall } from './placement-install.js';
import { newAddon, newCma, newDecision } from './testing/fixtures.js';

const ADC = { group: ADDON_GROUP, resource: 'addondeploymentconfigs' };
const cmaWith = (
  ...placements: {
    namespace: string;
    name: string;
    configs?: { group: string; resource: string; name: string; namespace?: string }[];
  }[]
) => newCma({ placements });
const ours = (cluster: string, placements = 'fl/all') => {
  const a = newAddon(cluster);
  a.metadata.labels = { [INSTALLED_BY_LABEL]: 'placement' };
  a.metadata.annotations = { [PLACEMENTS_ANNOTATION]: placements };
  return a;
};

describe('planPlacementInstall', () => {
  it('Manual strategy creates nothing and removes only placement-created addons', () => {
    const plan = planPlacementInstall(
      newCma(),
      [newDecision('fl', 'all', ['c1'])],
      [ours('c1'), newAddon('c2')],
    );
    expect(plan).toEqual({ create: [], update: [], delete: ['c1'] });
  });

  it('creates addons for every decided cluster, across decision objects and placements', () => {
    const cma = cmaWith({ namespace: 'fl', name: 'all' }, { namespace: 'other', name: 'gpu' });
    const plan = planPlacementInstall(
      cma,
      [
        newDecision('fl', 'all', ['c1', 'c2']),
        newDecision('fl', 'all', ['c3'], 1),
        newDecision('other', 'gpu', ['c2']),
        newDecision('fl', 'unrelated', ['c9']),
      ],
      [],
    );
    expect(plan.create.map((m) => m.metadata.namespace)).toEqual(['c1', 'c2', 'c3']);
    const c2 = plan.create[1]!;
    expect(c2.metadata.labels?.[INSTALLED_BY_LABEL]).toBe('placement');
    expect(c2.metadata.annotations?.[PLACEMENTS_ANNOTATION]).toBe('fl/all,other/gpu');
    expect(c2.spec?.installNamespace).toBe('open-cluster-management-agent-addon');
    expect(c2.metadata.ownerReferences?.[0]).toEqual(
      expect.objectContaining({ kind: 'ClusterManagementAddOn', uid: 'cma-uid' }),
    );
  });

  it('a decision in another namespace with the same placement name does not count', () => {
    const plan = planPlacementInstall(
      cmaWith({ namespace: 'fl', name: 'all' }),
      [newDecision('elsewhere', 'all', ['c1'])],
      [],
    );
    expect(plan.create).toEqual([]);
  });

  it('leaves hand-enabled addons alone and deletes ours when the cluster leaves', () => {
    const cma = cmaWith({ namespace: 'fl', name: 'all' });
    const plan = planPlacementInstall(
      cma,
      [newDecision('fl', 'all', ['c1', 'c2'])],
      [newAddon('c1'), ours('c2'), ours('c3'), newAddon('c4')],
    );
    expect(plan).toEqual({ create: [], update: [], delete: ['c3'] });
  });

  it('carries placement configs and updates ours when they change', () => {
    const cfg = { ...ADC, namespace: 'fl', name: 'gpu-config' };
    const cma = cmaWith({ namespace: 'fl', name: 'all', configs: [cfg] });
    const created = planPlacementInstall(cma, [newDecision('fl', 'all', ['c1'])], []).create[0]!;
    expect(created.spec?.configs).toEqual([cfg]);
    const plan = planPlacementInstall(cma, [newDecision('fl', 'all', ['c1'])], [ours('c1')]);
    expect(plan.update.map((m) => m.spec?.configs)).toEqual([[cfg]]);
    const settled = planPlacementInstall(cma, [newDecision('fl', 'all', ['c1'])], [created]);
    expect(settled).toEqual({ create: [], update: [], delete: [] });
  });

  it('does not touch addons already being deleted', () => {
    const going = ours('c1');
    going.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(planPlacementInstall(newCma(), [], [going])).toEqual({ create: [], update: [], delete: [] });
  });
});
