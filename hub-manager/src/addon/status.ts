/**
 * The ManagedClusterAddOn status this addon manager owns, computed from what the reconciler
 * observed. Conditions it does not own (Available, Degraded, ClusterCertificateRotated, written
 * by the klusterlet) are kept as they are. Reason strings are upstream's (OCM api constants).
 */
import { setCondition, findCondition, type Condition } from '@ocm-fl/common/api/meta.js';
import type {
  ConfigReference,
  ManagedClusterAddOn,
  ManagedClusterAddOnStatus,
  ManifestWork,
} from '@ocm-fl/common/api/ocm.js';
import { ADDON_GROUP } from '@ocm-fl/common/api/ocm.js';
import { ADDON_NAME, SIGNER_NAME, agentCommonName, agentGroups } from '@ocm-fl/common/names.js';
import { CONTENT_HASH_ANNOTATION } from './render/manifest-work.js';

export const REASONS = {
  manifestApplied: 'AddonManifestApplied',
  manifestApplyFailed: 'AddonManifestAppliedFailed',
  workApplyFailed: 'ManifestWorkApplyFailed',
  permissionApplied: 'SetPermissionApplied',
  configured: 'ConfigurationsConfigured',
  notConfigured: 'ConfigurationsNotConfigured',
  progressing: 'Progressing',
  completed: 'Completed',
  failed: 'Failed',
} as const;

export interface StatusInput {
  addon: ManagedClusterAddOn;
  /** Install namespace computed this time, else undefined (then the previous one is kept). */
  installNamespace?: string;
  configReferences: ConfigReference[];
  /** Why the configuration could not be applied (missing or invalid config). */
  configError?: string;
  /** customizedVariables names that were ignored. */
  unknownVariables?: string[];
  /** The ManifestWork as last written or observed. */
  work?: ManifestWork;
  /** The content hash the reconciler wanted in the work (to tell a stale Applied). */
  desiredHash?: string;
  /** Why the ManifestWork could not be rendered or written. */
  workError?: string;
  now?: Date;
}

function cond(type: string, ok: boolean, reason: string, message: string): Condition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

function workApplied(work: ManifestWork): Condition | undefined {
  const c = findCondition(work.status?.conditions, 'Applied');
  // An Applied condition from before the last spec change says nothing about the new content.
  if (c && c.observedGeneration !== undefined && work.metadata.generation !== undefined) {
    if (c.observedGeneration < work.metadata.generation) return undefined;
  }
  return c;
}

function manifestApplied(i: StatusInput): Condition {
  const T = 'ManifestApplied';
  if (i.workError)
    return cond(T, false, REASONS.workApplyFailed, `failed to apply manifestWork: ${i.workError}`);
  if (!i.work) return cond(T, false, REASONS.workApplyFailed, 'manifestWork not created yet');
  const applied = workApplied(i.work);
  if (applied?.status === 'True') return cond(T, true, REASONS.manifestApplied, 'no errors found');
  if (applied?.status === 'False') {
    return cond(T, false, REASONS.manifestApplyFailed, `failed to apply the manifests: ${applied.message}`);
  }
  return cond(T, false, REASONS.manifestApplyFailed, 'waiting for the work agent to apply the manifests');
}

function configured(i: StatusInput): Condition {
  if (i.configError) return cond('Configured', false, REASONS.notConfigured, i.configError);
  // OCM's addon manager writes this condition too, with exactly this message: the same text
  // keeps the two from rewriting each other (unknown customizedVariables are logged instead).
  return cond('Configured', true, REASONS.configured, 'Configurations configured');
}

function progressing(i: StatusInput, applied: Condition): Condition {
  const T = 'Progressing';
  if (i.configError || i.workError) {
    return cond(T, false, REASONS.failed, i.configError ?? i.workError ?? '');
  }
  const upToDate = i.work?.metadata.annotations?.[CONTENT_HASH_ANNOTATION] === i.desiredHash;
  // Messages as OCM's addon manager writes them, so the two agree when both run.
  if (upToDate && applied.status === 'True')
    return cond(T, false, REASONS.completed, 'completed with no errors.');
  return cond(T, true, REASONS.progressing, 'progressing... applying the agent manifests');
}

const sameRef = (a: ConfigReference, b: ConfigReference): boolean =>
  a.group === b.group && a.resource === b.resource && a.name === b.name && a.namespace === b.namespace;

/**
 * configReferences with `lastAppliedConfig` as OCM's addon manager sets it: the desired config
 * once Progressing is Completed, else the previous one kept.
 */
function withLastApplied(
  refs: ConfigReference[],
  prev: ConfigReference[],
  completed: boolean,
): ConfigReference[] {
  return refs.map((r) => {
    const last = completed ? r.desiredConfig : prev.find((p) => sameRef(p, r))?.lastAppliedConfig;
    return last ? { ...r, lastAppliedConfig: { ...last } } : r;
  });
}

export function computeAddonStatus(i: StatusInput): ManagedClusterAddOnStatus {
  const cluster = i.addon.metadata.namespace ?? '';
  const prev = i.addon.status ?? {};
  const now = i.now ?? new Date();
  const applied = manifestApplied(i);
  const progress = progressing(i, applied);
  let conditions = prev.conditions ?? [];
  for (const c of [
    applied,
    cond(
      'RegistrationApplied',
      true,
      REASONS.permissionApplied,
      `custom signer ${SIGNER_NAME} registration set`,
    ),
    configured(i),
    progress,
  ]) {
    conditions = setCondition(conditions, c, now);
  }
  const status: ManagedClusterAddOnStatus = {
    ...prev,
    conditions,
    registrations: [
      { signerName: SIGNER_NAME, subject: { user: agentCommonName(cluster), groups: agentGroups(cluster) } },
    ],
    relatedObjects: [{ group: ADDON_GROUP, resource: 'clustermanagementaddons', name: ADDON_NAME }],
    healthCheck: { mode: 'Lease' },
    configReferences: withLastApplied(
      i.configReferences,
      prev.configReferences ?? [],
      progress.reason === REASONS.completed,
    ),
  };
  const ns = i.installNamespace ?? prev.namespace;
  if (ns) status.namespace = ns;
  return status;
}
