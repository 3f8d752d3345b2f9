/** Create and update with Kubernetes semantics: names, uid, resourceVersion, generation, status subresource, finalizers. */
import { alreadyExists, ApiError, badRequest, conflict, forbidden, invalid, notFound } from './errors.js';
import { newUid, now, randomSuffix, sameContent, specPart } from './meta.js';
import type { Registry } from './registry.js';
import { checkCustomResource } from './schema.js';
import type { ObjectStore } from './store.js';
import type { KubeObject, ResourceInfo, UserInfo } from './types.js';
import { deepCopy, resourceKey } from './types.js';
import {
  applyBuiltinDefaults,
  crdStatus,
  stampCsrRequester,
  validateBuiltin,
  validateMeta,
  validateName,
} from './validation.js';

export interface Target {
  r: ResourceInfo;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface WriteCtx {
  user: UserInfo;
  dryRun: boolean;
  /** `fieldValidation` query parameter: Strict rejects unknown fields, Warn (default) reports them. */
  fieldValidation?: string;
  /** Collected `Warning` headers for the response. */
  warnings?: string[];
}

export interface Deps {
  store: ObjectStore;
  registry: Registry;
}

function checkBody(t: Target, body: unknown): KubeObject {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('the body of the request was in an unknown format');
  const o = body as KubeObject;
  o.metadata = o.metadata && typeof o.metadata === 'object' ? o.metadata : {};
  if (o.kind && o.kind !== t.r.kind)
    throw badRequest(
      `the API version in the data (${o.apiVersion}) does not match the expected API version (${t.r.kind})`,
    );
  return o;
}

function checkNamespace(d: Deps, t: Target, o: KubeObject): void {
  if (!t.r.namespaced) {
    delete o.metadata.namespace;
    return;
  }
  if (o.metadata.namespace && t.namespace && o.metadata.namespace !== t.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  o.metadata.namespace = t.namespace ?? o.metadata.namespace;
  const nsName = o.metadata.namespace ?? '';
  const ns = d.store.get('/namespaces', undefined, nsName);
  if (!ns)
    throw new ApiError(404, 'NotFound', `namespaces "${nsName}" not found`, {
      name: nsName,
      kind: 'namespaces',
    });
  if (ns.metadata.deletionTimestamp) {
    throw forbidden(
      `${t.r.plural} "${o.metadata.name ?? ''}" is forbidden: unable to create new content in namespace ${nsName} because it is being terminated`,
      {
        name: o.metadata.name ?? '',
        kind: t.r.plural,
        causes: [
          {
            reason: 'NamespaceTerminating',
            message: `namespace ${nsName} is being terminated`,
            field: 'metadata.namespace',
          },
        ],
      },
    );
  }
}

/** Defaults, schema pruning and validation shared by create and update. */
function admit(t: Target, o: KubeObject, ctx: WriteCtx, old?: KubeObject): void {
  const name = o.metadata.name ?? '';
  const causes = [...validateMeta(o)];
  if (t.r.crd) {
    const pruned: string[] = [];
    causes.push(...checkCustomResource(o, t.r.schemas[t.version], pruned));
    if (pruned.length && ctx.fieldValidation === 'Strict') {
      const fields = pruned.map((f) => `unknown field "${f}"`).join(', ');
      throw badRequest(
        `${t.r.kind} in version "${t.version}" cannot be handled as a ${t.r.kind}: strict decoding error: ${fields}`,
      );
    }
    if (ctx.fieldValidation !== 'Ignore') for (const f of pruned) ctx.warnings?.push(`unknown field "${f}"`);
  } else {
    applyBuiltinDefaults(t.r, o);
    causes.push(...validateBuiltin(t.r, o, old));
  }
  if (causes.length) throw invalid(t.r, name, causes);
}

export function create(d: Deps, t: Target, body: unknown, ctx: WriteCtx): KubeObject {
  const o = checkBody(t, body);
  checkNamespace(d, t, o);
  const meta = o.metadata;
  if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
  if (!meta.name)
    throw invalid(t.r, '', [
      {
        reason: 'FieldValueRequired',
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
      },
    ]);
  const nameCauses = validateName(t.r, meta.name);
  if (nameCauses.length) throw invalid(t.r, meta.name, nameCauses);
  const rkey = resourceKey(t.r);
  if (d.store.get(rkey, meta.namespace, meta.name)) {
    if (meta.generateName && !t.name)
      throw new ApiError(
        409,
        'AlreadyExists',
        `${t.r.plural} "${meta.name}" already exists, the server was not able to generate a unique name for the object`,
        { name: meta.name, kind: t.r.plural },
      );
    throw alreadyExists(t.r, meta.name);
  }
  meta.uid = newUid();
  meta.creationTimestamp = now();
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.managedFields;
  delete meta.selfLink;
  if (t.r.tracksGeneration) meta.generation = 1;
  else delete meta.generation;
  o.apiVersion = t.r.group ? `${t.r.group}/${t.version}` : t.version;
  o.kind = t.r.kind;
  // Status is written only through /status; what the creator sends is dropped.
  if (t.r.statusSubresource) delete o.status;
  if (t.r.kind === 'CertificateSigningRequest') stampCsrRequester(o, ctx.user);
  admit(t, o, ctx);
  if (t.r.kind === 'CustomResourceDefinition') crdStatus(o);
  if (ctx.dryRun) return { ...o, metadata: { ...meta, resourceVersion: String(d.store.revision) } };
  return d.store.put(rkey, o);
}

/** Which parts of `incoming` an update at this endpoint may change. */
function mergeForEndpoint(t: Target, old: KubeObject, incoming: KubeObject): KubeObject {
  const sub = t.subresource;
  if (sub === 'status') {
    // Everything but status comes from the stored object (managedFields aside).
    const next = deepCopy(old);
    if (incoming.status === undefined) delete next.status;
    else next.status = incoming.status;
    return next;
  }
  if (sub === 'approval') {
    const next = deepCopy(old);
    const conds = ((incoming.status as { conditions?: unknown[] } | undefined)?.conditions ?? []) as Record<
      string,
      unknown
    >[];
    next.status = {
      ...((old.status as object | undefined) ?? {}),
      conditions: conds.filter((c) => ['Approved', 'Denied', 'Failed'].includes(String(c.type))),
    };
    return next;
  }
  if (sub === 'finalize') {
    const next = deepCopy(old);
    next.spec = {
      ...((old.spec as object | undefined) ?? {}),
      finalizers: (incoming.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [],
    };
    return next;
  }
  const next = deepCopy(incoming);
  if (t.r.statusSubresource) {
    if (old.status === undefined) delete next.status;
    else next.status = deepCopy(old.status);
  }
  if (t.r.kind === 'CertificateSigningRequest') next.spec = deepCopy(old.spec);
  return next;
}

function keepSystemMeta(r: ResourceInfo, old: KubeObject, next: KubeObject): void {
  const m = next.metadata;
  const o = old.metadata;
  m.uid = o.uid;
  m.creationTimestamp = o.creationTimestamp;
  m.namespace = o.namespace;
  m.name = o.name;
  if (o.deletionTimestamp) {
    m.deletionTimestamp = o.deletionTimestamp;
    m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
  } else {
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
  }
  delete m.managedFields;
  if (r.tracksGeneration) {
    m.generation = (o.generation ?? 1) + (specPart(r, old) === specPart(r, next) ? 0 : 1);
  } else delete m.generation;
  next.apiVersion = old.apiVersion;
  next.kind = old.kind;
}

/** PUT (main, status or approval endpoint); `next` is the client's whole object. */
export function update(d: Deps, t: Target, body: unknown, ctx: WriteCtx): KubeObject {
  const incoming = checkBody(t, body);
  const name = t.name ?? '';
  if (incoming.metadata.name && incoming.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`,
    );
  }
  const rkey = resourceKey(t.r);
  const old = d.store.get(rkey, t.namespace, name);
  if (!old) throw notFound(t.r, name);
  const rv = incoming.metadata.resourceVersion;
  if (rv && rv !== old.metadata.resourceVersion) throw conflict(t.r, name);
  if (!rv && t.r.requireResourceVersionOnUpdate) {
    throw invalid(t.r, name, [
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.resourceVersion',
        message: 'Invalid value: 0x0: must be specified for an update',
      },
    ]);
  }
  return commitUpdate(d, t, old, mergeForEndpoint(t, old, incoming), ctx);
}

/** Store `next` as the new version of `old`, or drop it when deletion is pending and no finalizers remain. */
export function commitUpdate(
  d: Deps,
  t: Target,
  old: KubeObject,
  next: KubeObject,
  ctx: WriteCtx,
): KubeObject {
  keepSystemMeta(t.r, old, next);
  const name = old.metadata.name ?? '';
  if (old.metadata.deletionTimestamp) {
    const added = (next.metadata.finalizers ?? []).filter(
      (f) => !(old.metadata.finalizers ?? []).includes(f),
    );
    if (added.length)
      throw invalid(t.r, name, [
        {
          reason: 'FieldValueForbidden',
          field: 'metadata.finalizers',
          message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"${added.join('", "')}"}`,
        },
      ]);
  }
  if (!t.subresource || t.r.crd) admit(t, next, ctx, old);
  else {
    const causes = validateBuiltin(t.r, next, old);
    if (causes.length) throw invalid(t.r, name, causes);
  }
  if (next.metadata.finalizers?.length === 0) delete next.metadata.finalizers;
  if (sameContent(old, next)) return old;
  if (ctx.dryRun) return next;
  if (readyToRemove(t.r, next)) {
    return d.store.remove(resourceKey(t.r), old.metadata.namespace, name) ?? old;
  }
  return d.store.put(resourceKey(t.r), next);
}

/** Deletion is pending, no finalizers are left and no grace period runs (namespaces: spec finalizers too). */
function readyToRemove(r: ResourceInfo, o: KubeObject): boolean {
  const m = o.metadata;
  if (!m.deletionTimestamp || m.finalizers?.length || (m.deletionGracePeriodSeconds ?? 0) > 0) return false;
  if (r.kind === 'Namespace' && r.group === '')
    return !((o.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length;
  return true;
}
