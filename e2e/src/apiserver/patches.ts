/** PATCH: decode by content type, apply to the stored object, then go through the update path. */
import { ApiError, badRequest, conflict, invalid, notFound } from './errors.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import type { KubeObject } from './types.js';
import { resourceKey } from './types.js';
import type { Deps, Target, WriteCtx } from './writes.js';
import { commitUpdate, update } from './writes.js';

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

function applyPatchBody(t: Target, cur: KubeObject, contentType: string, body: unknown): KubeObject {
  switch (contentType) {
    case 'application/merge-patch+json':
      return mergePatch(cur, body) as KubeObject;
    case 'application/json-patch+json':
      try {
        return jsonPatch(cur, body) as KubeObject;
      } catch (e) {
        throw invalid(t.r, t.name ?? '', [
          {
            reason: 'FieldValueInvalid',
            message: `the server rejected our request due to an error in our request: ${(e as Error).message.split('\n')[0] ?? ''}`,
          },
        ]);
      }
    case 'application/strategic-merge-patch+json':
      if (t.r.crd) {
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
        );
      }
      return strategicMergePatch(cur, body, t.r.kind) as KubeObject;
    default:
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json${t.r.crd ? '' : ', application/strategic-merge-patch+json'}`,
      );
  }
}

export function patchObject(d: Deps, t: Target, contentType: string, raw: string, ctx: WriteCtx): KubeObject {
  if (contentType === 'application/apply-patch+yaml') {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      'server-side apply is not supported by this embedded API server; use client-side apply',
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (e) {
    throw badRequest(`error decoding patch: ${(e as Error).message}`);
  }
  const name = t.name ?? '';
  const cur = d.store.get(resourceKey(t.r), t.namespace, name);
  if (!cur) throw notFound(t.r, name);
  const patched = applyPatchBody(t, cur, contentType, body);
  if (patched === null || typeof patched !== 'object' || Array.isArray(patched))
    throw badRequest('patch result is not an object');
  patched.metadata ??= {};
  const rv = patched.metadata.resourceVersion;
  if (rv && rv !== cur.metadata.resourceVersion) throw conflict(t.r, name);
  if (patched.metadata.name !== cur.metadata.name)
    throw badRequest('metadata.name: the name of the object cannot be changed by a patch');
  if (!t.subresource) return commitUpdate(d, t, cur, keepStatus(t, cur, patched), ctx);
  // Subresources share the PUT path so status/approval restrictions apply the same way.
  return update(
    d,
    t,
    { ...patched, metadata: { ...patched.metadata, resourceVersion: cur.metadata.resourceVersion } },
    ctx,
  );
}

function keepStatus(t: Target, cur: KubeObject, patched: KubeObject): KubeObject {
  if (t.r.statusSubresource) {
    if (cur.status === undefined) delete patched.status;
    else patched.status = cur.status;
  }
  if (t.r.kind === 'CertificateSigningRequest') patched.spec = cur.spec;
  return patched;
}
