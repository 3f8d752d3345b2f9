/**
 * Least-privilege RBAC for the agent on its own cluster. Namespaced rights (Role) cover its
 * Lease, its tasks, the Jobs/Pods it starts and its client-cert Secret; the only cluster-scoped
 * right (ClusterRole) is reading the FederatedLearningTask CRD, so the agent can report
 * "not ready" clearly when the CRD is missing instead of failing its watch.
 */
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { TASK_PLURAL } from '@ocm-fl/common/api/task.js';
import { CLIENT_CERT_SECRET, FL_GROUP, LEASE_NAME } from '@ocm-fl/common/names.js';
import { AGENT_OBJECTS } from './types.js';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

type Rbac = KubeObject & { rules?: PolicyRule[]; roleRef?: unknown; subjects?: unknown[] };

const RBAC = 'rbac.authorization.k8s.io/v1';

export function agentRoleRules(): PolicyRule[] {
  return [
    // `create` cannot be restricted by name (the object does not exist yet).
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'update', 'patch'],
      resourceNames: [LEASE_NAME],
    },
    { apiGroups: [FL_GROUP], resources: [TASK_PLURAL], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [FL_GROUP], resources: [`${TASK_PLURAL}/status`], verbs: ['get', 'update', 'patch'] },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch'], resourceNames: [CLIENT_CERT_SECRET] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ];
}

export function taskCrdName(): string {
  return `${TASK_PLURAL}.${FL_GROUP}`;
}

/** Role, RoleBinding, ClusterRole, ClusterRoleBinding for the agent ServiceAccount. */
export function renderAgentRbac(namespace: string, labels: Record<string, string>): KubeObject[] {
  const subject = [{ kind: 'ServiceAccount', name: AGENT_OBJECTS.serviceAccount, namespace }];
  const role: Rbac = {
    apiVersion: RBAC,
    kind: 'Role',
    metadata: { name: AGENT_OBJECTS.role, namespace, labels },
    rules: agentRoleRules(),
  };
  const roleBinding: Rbac = {
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { name: AGENT_OBJECTS.role, namespace, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: AGENT_OBJECTS.role },
    subjects: subject,
  };
  const clusterRole: Rbac = {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: AGENT_OBJECTS.clusterRole, labels },
    rules: [
      {
        apiGroups: ['apiextensions.k8s.io'],
        resources: ['customresourcedefinitions'],
        verbs: ['get'],
        resourceNames: [taskCrdName()],
      },
    ],
  };
  const clusterRoleBinding: Rbac = {
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name: AGENT_OBJECTS.clusterRole, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: AGENT_OBJECTS.clusterRole },
    subjects: subject,
  };
  return [role, roleBinding, clusterRole, clusterRoleBinding];
}
