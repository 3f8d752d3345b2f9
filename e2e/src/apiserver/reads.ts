/** GET and LIST: selectors, limit/continue pagination, and the list envelope. */
import { ApiError, badRequest, gone, notFound } from './errors.js';
import { asVersion } from './meta.js';
import { checkFieldSelector, matchesSelector, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { Selector } from './selectors.js';
import type { KubeObject } from './types.js';
import { apiVersionOf, resourceKey } from './types.js';
import type { Deps, Target } from './writes.js';

export function getObject(d: Deps, t: Target): KubeObject {
  const o = d.store.get(resourceKey(t.r), t.namespace, t.name ?? '');
  if (!o) throw notFound(t.r, t.name ?? '');
  return asVersion(t.r, o, t.version);
}

export function selectorFrom(t: Target, q: URLSearchParams): Selector {
  const fields = parseFieldSelector(q.get('fieldSelector'));
  checkFieldSelector(fields, t.r.kind, t.r.crd !== undefined);
  return { labels: parseLabelSelector(q.get('labelSelector')), fields };
}

interface ContinueToken {
  rv: number;
  start: string;
}

function decodeContinue(token: string, oldest: number): ContinueToken {
  let c: ContinueToken;
  try {
    c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
  } catch (e) {
    throw badRequest(`invalid continue token: ${(e as Error).message}`);
  }
  if (typeof c.rv !== 'number' || typeof c.start !== 'string') throw badRequest('invalid continue token');
  if (c.rv < oldest) {
    throw gone(
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
    );
  }
  return c;
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

/** A list envelope; later pages serve current state after the token's key (not a snapshot). */
export function listObjects(d: Deps, t: Target, q: URLSearchParams): Record<string, unknown> {
  const sel = selectorFrom(t, q);
  const limit = Number(q.get('limit') ?? '0');
  if (!Number.isInteger(limit) || limit < 0)
    throw new ApiError(400, 'BadRequest', `invalid limit: ${q.get('limit') ?? ''}`);
  const token = q.get('continue');
  const cont = token ? decodeContinue(token, d.store.oldestRevision) : undefined;
  const rev = cont?.rv ?? d.store.revision;
  let items = d.store.list(resourceKey(t.r), t.namespace).filter((o) => matchesSelector(sel, o));
  if (cont) items = items.filter((o) => keyOf(o) > cont.start);
  const meta: Record<string, unknown> = { resourceVersion: String(rev) };
  if (limit > 0 && items.length > limit) {
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    meta.continue = Buffer.from(JSON.stringify({ rv: rev, start: last ? keyOf(last) : '' })).toString(
      'base64url',
    );
    meta.remainingItemCount = items.length - limit;
    items = page;
  }
  return {
    kind: t.r.listKind,
    apiVersion: apiVersionOf(t.r.group, t.version),
    metadata: meta,
    items: items.map((o) => asVersion(t.r, o, t.version)),
  };
}
