/**
 * The `scale` subresource of Deployments (autoscaling/v1 Scale), which `kubectl scale` reads
 * and patches: a view of spec.replicas, status.replicas and the selector; writing it updates
 * the Deployment (generation and conflicts as for any update).
 */
import { ApiError } from './errors.js';
import { jsonPatch, mergePatch } from './patch.js';
import { getObject } from './reads.js';
import type { KubeObject } from './types.js';
import { update, type Deps, type Target, type WriteCtx } from './writes.js';

type Obj = Record<string, unknown>;

export const SCALABLE_KINDS = new Set(['apps/Deployment']);

function selectorString(sel: unknown): string {
  const labels = ((sel as Obj | undefined)?.matchLabels ?? {}) as Record<string, string>;
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function toScale(o: KubeObject): KubeObject {
  const spec = ((o as Obj).spec ?? {}) as Obj;
  const status = ((o as Obj).status ?? {}) as Obj;
  const m = o.metadata;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: (spec.replicas as number | undefined) ?? 0 },
    status: {
      replicas: (status.replicas as number | undefined) ?? 0,
      selector: selectorString(spec.selector),
    },
  } as KubeObject;
}

function replicasOf(scale: unknown): number {
  const n = ((scale as Obj | undefined)?.spec as Obj | undefined)?.replicas;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw new ApiError(
      422,
      'Invalid',
      `Scale.spec.replicas: Invalid value: ${JSON.stringify(n)}: must be a non-negative integer`,
    );
  return n;
}

/** GET, PUT (body: a Scale) or PATCH (merge, strategic or JSON patch of the Scale) on `.../scale`. */
export function serveScale(
  d: Deps,
  t: Target,
  req: { method: string; contentType: string; body: () => unknown; raw: string },
  ctx: WriteCtx,
): KubeObject {
  const main: Target = { ...t, subresource: undefined };
  const current = getObject(d, main);
  if (req.method === 'GET') return toScale(current);
  let next: unknown;
  if (req.method === 'PUT') next = req.body();
  else if (req.method === 'PATCH') {
    const patch = JSON.parse(req.raw) as unknown;
    next =
      req.contentType === 'application/json-patch+json'
        ? jsonPatch(toScale(current), patch)
        : mergePatch(toScale(current), patch);
  } else
    throw new ApiError(405, 'MethodNotAllowed', `${req.method} is not supported on the scale subresource`);
  const rv = ((next as Obj | undefined)?.metadata as Obj | undefined)?.resourceVersion;
  const spec = { ...(((current as Obj).spec ?? {}) as Obj), replicas: replicasOf(next) };
  const updated = update(
    d,
    main,
    {
      ...current,
      metadata: {
        ...current.metadata,
        ...(typeof rv === 'string' && req.method === 'PUT' ? { resourceVersion: rv } : {}),
      },
      spec,
    },
    ctx,
  );
  return toScale(updated);
}
