/**
 * Least-privilege RBAC for the agent on its own cluster. Namespaced rights (Role) cover its
 * Lease, its tasks, the trainer Jobs and round token Secrets it starts; the only cluster-scoped
 * right (ClusterRole) is reading the FederatedLearningTask CRD, so the agent can report
 * "not ready" clearly when the CRD is missing instead of failing its watch.
 */
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { TASK_PLURAL } from '@ocm-fl/common/api/task.js';
import { FL_GROUP, LEASE_NAME } from '@ocm-fl/common/names.js';
import { AGENT_OBJECTS } from './types.js';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

type Rbac = KubeObject & { rules?: PolicyRule[]; roleRef?: unknown; subjects?: unknown[] };

const RBAC = 'rbac.authorization.k8s.io/v1';

/**
 * Exactly what the agent calls on its own cluster (spoke-agent: health/lease.ts, tasks/,
 * trainer/trainer-driver.ts): its Lease; task list/watch/get and status update; the trainer
 * Jobs and the per-round token Secrets (`fl-<task>-r<round>`, names unknown in advance, so
 * get/list/create/delete cannot be restricted by name; this also covers reading its own
 * client-cert Secret, which it normally takes from the mounted volume); its config ConfigMap,
 * read only for its UID, to own the Lease (so GC deletes the Lease on disable). Jobs are polled, not
 * watched; Pods, logs and Events are not read or written by the agent.
 */
export function agentRoleRules(): PolicyRule[] {
  return [
    // `create` cannot be restricted by name (the object does not exist yet).
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'update'],
      resourceNames: [LEASE_NAME],
    },
    {
      apiGroups: [''],
      resources: ['configmaps'],
      verbs: ['get'],
      resourceNames: [AGENT_OBJECTS.configConfigMap],
    },
    { apiGroups: [FL_GROUP], resources: [TASK_PLURAL], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [FL_GROUP], resources: [`${TASK_PLURAL}/status`], verbs: ['update'] },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'delete'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'list', 'delete'] },
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
