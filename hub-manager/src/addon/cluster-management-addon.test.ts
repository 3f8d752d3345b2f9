import { describe, it, expect } from '@jest/globals';
import { renderClusterManagementAddOn } from './cluster-management-addon.js';

describe('renderClusterManagementAddOn', () => {
  it('is the decided addon with AddOnDeploymentConfig support and Manual install by default', () => {
    const cma = renderClusterManagementAddOn();
    expect(cma.metadata.name).toBe('federated-learning');
    expect(cma.metadata.annotations).toEqual({
      'addon.open-cluster-management.io/lifecycle': 'addon-manager',
    });
    expect(cma.spec?.supportedConfigs).toEqual([
      { group: 'addon.open-cluster-management.io', resource: 'addondeploymentconfigs' },
    ]);
    expect(cma.spec?.installStrategy).toEqual({ type: 'Manual' });
    expect(cma.spec?.addOnMeta?.displayName).toBeTruthy();
  });
  it('takes a default config, placements and lifecycle', () => {
    const cma = renderClusterManagementAddOn({
      defaultConfig: { namespace: 'fl-system', name: 'default' },
      placements: [{ namespace: 'fl', name: 'all', rolloutStrategy: { type: 'All' } }],
      lifecycle: 'self',
    });
    expect(cma.spec?.supportedConfigs?.[0]?.defaultConfig).toEqual({
      namespace: 'fl-system',
      name: 'default',
    });
    expect(cma.spec?.installStrategy).toEqual({
      type: 'Placements',
      placements: [{ namespace: 'fl', name: 'all', rolloutStrategy: { type: 'All' } }],
    });
    expect(cma.metadata.annotations?.['addon.open-cluster-management.io/lifecycle']).toBe('self');
  });
});
