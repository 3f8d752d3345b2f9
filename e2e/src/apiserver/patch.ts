/** PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch for built-ins. */
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Apply RFC 6902 operations; throws (with the failing operation) on a failed test or bad path. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new Error('json patch must be an array of operations');
  const doc = structuredClone(target);
  return fastJsonPatch.applyPatch(doc, ops as Operation[], true, true).newDocument;
}

/** Merge keys of the list fields that Kubernetes' strategic merge patch merges instead of replacing. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  conditions: 'type',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
};

/** Primitive lists merged as sets. */
const SET_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, path: string[], kind: string): string | undefined {
  if (field === 'ports') {
    // Service spec.ports merge on `port`; container ports on `containerPort`.
    return kind === 'Service' && path.length === 1 && path[0] === 'spec' ? 'port' : 'containerPort';
  }
  return MERGE_KEYS[field];
}

function mergeList(
  cur: unknown[],
  patch: unknown[],
  key: string,
  ctx: { path: string[]; kind: string },
): unknown[] {
  const out = cur.map((x) => structuredClone(x));
  for (const item of patch) {
    if (!isObj(item)) continue;
    const directive = item.$patch;
    const idx = out.findIndex((x) => isObj(x) && x[key] === item[key]);
    if (directive === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (directive === 'replace') {
      const { $patch: _p, ...rest } = item;
      if (idx >= 0) out[idx] = rest;
      else out.push(rest);
      continue;
    }
    if (idx >= 0) out[idx] = smp(out[idx], item, ctx);
    else out.push(smp({}, item, ctx));
  }
  return out;
}

function smp(target: unknown, patch: unknown, ctx: { path: string[]; kind: string }): unknown {
  if (!isObj(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = isObj(target) ? { ...target } : {};
  const retain = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$retainKeys' || k === '$patch' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const remove = Array.isArray(v) ? v : [];
      if (Array.isArray(out[field]))
        out[field] = (out[field] as unknown[]).filter((x) => !remove.includes(x));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const childCtx = { path: [...ctx.path, k], kind: ctx.kind };
    const key = mergeKeyFor(k, ctx.path, ctx.kind);
    if (Array.isArray(v) && key && Array.isArray(out[k])) {
      out[k] = mergeList(out[k] as unknown[], v, key, childCtx);
    } else if (Array.isArray(v) && SET_LISTS.has(k) && Array.isArray(out[k])) {
      const merged = [...(out[k] as unknown[])];
      for (const x of v) if (!merged.includes(x)) merged.push(x);
      out[k] = merged;
    } else if (Array.isArray(v)) {
      out[k] = v.map((x) => (isObj(x) ? smp({}, x, childCtx) : x));
    } else {
      const merged = smp(out[k], v, childCtx);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  return out;
}

/**
 * Strategic merge patch with the merge keys of the core types this project patches
 * (containers, env, volumes, ports, ownerReferences, conditions, finalizers); other lists are replaced.
 */
export function strategicMergePatch(target: unknown, patch: unknown, kind: string): unknown {
  return smp(target, patch, { path: [], kind });
}
