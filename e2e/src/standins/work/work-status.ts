/**
 * Pure pieces of the work agent: which config applies to a manifest, whether the stored object
 * already holds what the manifest asks for, and the ManifestWork status (upstream reasons).
 */
import type { Condition, KubeObject } from '@ocm-fl/common/api/meta.js';
import { setCondition } from '@ocm-fl/common/api/meta.js';
import type {
  ManifestCondition,
  ManifestConfigOption,
  ManifestWork,
  ManifestWorkStatus,
} from '@ocm-fl/common/api/ocm.js';
import { splitApiVersion } from '@ocm-fl/common/kube/paths.js';
import { feedbackValues } from './feedback.js';

export type ResourceMeta = ManifestCondition['resourceMeta'];

export function resourceMeta(m: KubeObject, ordinal: number, plural: string): ResourceMeta {
  const { group, version } = splitApiVersion(m.apiVersion);
  return {
    ordinal,
    group,
    version,
    kind: m.kind,
    resource: plural,
    name: m.metadata.name ?? '',
    ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
  };
}

/** The manifestConfig whose resourceIdentifier names this resource (group/resource/name/namespace). */
export function configFor(work: ManifestWork, meta: ResourceMeta): ManifestConfigOption | undefined {
  return (work.spec?.manifestConfigs ?? []).find((c) => {
    const id = c.resourceIdentifier;
    return (
      (id.group ?? '') === meta.group &&
      id.resource === meta.resource &&
      id.name === meta.name &&
      (id.namespace ?? '') === (meta.namespace ?? '')
    );
  });
}

/** True when every field of `want` is present with the same value in `have` (server defaults are ignored). */
export function isSubset(want: unknown, have: unknown): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(have) && want.length === have.length && want.every((w, i) => isSubset(w, have[i]));
  }
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
    return Object.entries(want).every(
      ([k, v]) => v === undefined || isSubset(v, (have as Record<string, unknown>)[k]),
    );
  }
  return want === have;
}

/** What the stored object must contain for the manifest to count as applied (Secret stringData folded into data). */
export function comparable(m: KubeObject): Record<string, unknown> {
  const { metadata, status: _status, ...rest } = m as KubeObject & Record<string, unknown>;
  const out: Record<string, unknown> = {
    ...rest,
    metadata: { labels: metadata.labels, annotations: metadata.annotations },
  };
  if (m.kind === 'Secret' && rest.stringData) {
    const sd = rest.stringData as Record<string, string>;
    out.data = {
      ...(rest.data as Record<string, string> | undefined),
      ...Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    };
    delete out.stringData;
  }
  return out;
}

export interface ManifestOutcome {
  meta: ResourceMeta;
  /** Apply error, when applying failed. */
  error?: string;
  /** The object as stored after applying, when it exists. */
  current?: KubeObject;
}

type NewCondition = Omit<Condition, 'lastTransitionTime'>;

function manifestConditions(
  work: ManifestWork,
  o: ManifestOutcome,
  prev: Condition[] | undefined,
  now: Date,
): ManifestCondition {
  const gen = work.metadata.generation;
  const g = gen !== undefined ? { observedGeneration: gen } : {};
  const set = (list: Condition[] | undefined, c: NewCondition): Condition[] =>
    setCondition(list, { ...c, ...g } as Condition, now);
  let conds = set(
    prev,
    o.error
      ? {
          type: 'Applied',
          status: 'False',
          reason: 'AppliedManifestFailed',
          message: `Failed to apply manifest: ${o.error}`,
        }
      : {
          type: 'Applied',
          status: 'True',
          reason: 'AppliedManifestComplete',
          message: 'Apply manifest complete',
        },
  );
  conds = set(
    conds,
    o.current
      ? { type: 'Available', status: 'True', reason: 'ResourceAvailable', message: 'Resource is available' }
      : {
          type: 'Available',
          status: 'False',
          reason: 'ResourceNotAvailable',
          message: 'Resource is not available',
        },
  );
  const rules = configFor(work, o.meta)?.feedbackRules ?? [];
  const out: ManifestCondition = { resourceMeta: o.meta, conditions: conds };
  if (rules.length > 0 && o.current) {
    const fb = feedbackValues(o.current, rules);
    out.statusFeedback = { values: fb.values };
    out.conditions = set(
      out.conditions,
      fb.errors.length > 0
        ? {
            type: 'StatusFeedbackSynced',
            status: 'False',
            reason: 'StatusFeedbackSyncFailed',
            message: fb.errors.join('; '),
          }
        : { type: 'StatusFeedbackSynced', status: 'True', reason: 'StatusFeedbackSynced', message: '' },
    );
  } else if (rules.length > 0) {
    out.conditions = set(out.conditions, {
      type: 'StatusFeedbackSynced',
      status: 'False',
      reason: 'NoStatusFeedbackSynced',
      message: '',
    });
  }
  return out;
}

/** The whole ManifestWork status for these outcomes, keeping transition times of unchanged conditions. */
export function workStatus(
  work: ManifestWork,
  outcomes: readonly ManifestOutcome[],
  now = new Date(),
): ManifestWorkStatus {
  const prevManifests = work.status?.resourceStatus?.manifests ?? [];
  const manifests = outcomes.map((o) => {
    const prev = prevManifests.find(
      (p) => p.resourceMeta.ordinal === o.meta.ordinal && p.resourceMeta.name === o.meta.name,
    );
    return manifestConditions(work, o, prev?.conditions, now);
  });
  const gen = work.metadata.generation;
  const g = gen !== undefined ? { observedGeneration: gen } : {};
  const failed = outcomes.filter((o) => o.error);
  const missing = outcomes.filter((o) => !o.current);
  let conditions = setCondition(
    work.status?.conditions,
    failed.length > 0
      ? {
          type: 'Applied',
          status: 'False',
          reason: 'AppliedManifestWorkFailed',
          message: 'Failed to apply manifest work',
          ...g,
        }
      : {
          type: 'Applied',
          status: 'True',
          reason: 'AppliedManifestWorkComplete',
          message: 'Apply manifest work complete',
          ...g,
        },
    now,
  );
  conditions = setCondition(
    conditions,
    missing.length > 0
      ? {
          type: 'Available',
          status: 'False',
          reason: 'ResourcesNotAvailable',
          message: `${missing.length} of ${outcomes.length} resources are not available`,
          ...g,
        }
      : {
          type: 'Available',
          status: 'True',
          reason: 'ResourcesAvailable',
          message: 'All resources are available',
          ...g,
        },
    now,
  );
  // Upstream leaves Degraded to condition rules; here it carries apply errors where the author looks.
  if (failed.length > 0) {
    const message = failed
      .map(
        (f) => `${f.meta.kind} ${f.meta.namespace ? `${f.meta.namespace}/` : ''}${f.meta.name}: ${f.error}`,
      )
      .join('; ');
    conditions = setCondition(
      conditions,
      { type: 'Degraded', status: 'True', reason: 'ApplyManifestFailed', message, ...g },
      now,
    );
  } else if (conditions.some((c) => c.type === 'Degraded')) {
    conditions = setCondition(
      conditions,
      { type: 'Degraded', status: 'False', reason: 'AllManifestsApplied', message: '', ...g },
      now,
    );
  }
  return { conditions, resourceStatus: { manifests } };
}
