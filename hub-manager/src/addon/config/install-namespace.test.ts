import { describe, it, expect } from '@jest/globals';
import { DEFAULT_INSTALL_NAMESPACE } from '@ocm-fl/common/names.js';
import { newAddon } from '../testing/fixtures.js';
import { installNamespaceFor } from './install-namespace.js';

describe('installNamespaceFor', () => {
  it('defaults to open-cluster-management-agent-addon', () => {
    expect(installNamespaceFor(newAddon('c1'), undefined)).toBe(DEFAULT_INSTALL_NAMESPACE);
  });
  it('uses spec.installNamespace, then status.namespace', () => {
    const a = newAddon('c1', { installNamespace: 'from-spec' });
    a.status = { namespace: 'from-status' };
    expect(installNamespaceFor(a, undefined)).toBe('from-spec');
    const b = newAddon('c1');
    b.status = { namespace: 'from-status' };
    expect(installNamespaceFor(b, undefined)).toBe('from-status');
  });
  it('agentInstallNamespace in the config overrides everything', () => {
    const a = newAddon('c1', { installNamespace: 'from-spec' });
    expect(installNamespaceFor(a, { agentInstallNamespace: 'fl-agents' })).toBe('fl-agents');
  });
  it('rejects a namespace that is not a DNS label', () => {
    expect(() => installNamespaceFor(newAddon('c1'), { agentInstallNamespace: 'Bad_NS' })).toThrow(
      'spec.agentInstallNamespace',
    );
  });
});
