/**
 * The hub RBAC OCM's registration controller grants an accepted cluster's klusterlet
 * (ocm pkg/registration/hub/manifests/rbac: managedcluster-clusterrole,
 * managedcluster-registration-clusterrole and their bindings), reduced to what the addon
 * registration path uses. Stage 1 has no real registration controller, so the scenario
 * creates these; stage 2 gets them from OCM itself.
 */
import type { KubeObject } from '@ocm-fl/common/api/meta.js';

const RBAC = 'rbac.authorization.k8s.io/v1';
const groupSubject = (name: string): Record<string, string> => ({
  kind: 'Group',
  apiGroup: 'rbac.authorization.k8s.io',
  name,
});

export const REGISTRATION_CLUSTER_ROLE = 'open-cluster-management:managedcluster:registration';

export function klusterletRbac(cluster: string): KubeObject[] {
  const perCluster = `open-cluster-management:managedcluster:${cluster}`;
  const subjects = [groupSubject(`system:open-cluster-management:${cluster}`)];
  return [
    {
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: perCluster },
      rules: [
        {
          apiGroups: ['certificates.k8s.io'],
          resources: ['certificatesigningrequests'],
          verbs: ['create', 'get', 'list', 'watch'],
        },
        {
          apiGroups: ['cluster.open-cluster-management.io'],
          resources: ['managedclusters'],
          resourceNames: [cluster],
          verbs: ['get', 'list', 'update', 'watch'],
        },
      ],
    } as KubeObject,
    {
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name: perCluster },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: perCluster },
      subjects,
    } as KubeObject,
    {
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: REGISTRATION_CLUSTER_ROLE },
      rules: [
        {
          apiGroups: ['addon.open-cluster-management.io'],
          resources: ['managedclusteraddons'],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: ['addon.open-cluster-management.io'],
          resources: ['managedclusteraddons/status'],
          verbs: ['patch', 'update'],
        },
        { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
      ],
    } as KubeObject,
    {
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: `${perCluster}:registration`, namespace: cluster },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: REGISTRATION_CLUSTER_ROLE,
      },
      subjects,
    } as KubeObject,
  ];
}
