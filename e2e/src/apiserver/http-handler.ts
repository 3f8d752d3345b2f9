/** The HTTP layer: authentication, content negotiation, verb dispatch, Status errors and watch streaming. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import type { Logger } from '@ocm-fl/common/logger.js';
import { deleteObject } from './deletes.js';
import type { DeleteOptions } from './deletes.js';
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  coreVersions,
  openApiV3Doc,
  openApiV3Index,
  versionInfo,
} from './discovery.js';
import { ApiError, methodNotAllowed, pathNotFound } from './errors.js';
import { asVersion } from './meta.js';
import { patchObject } from './patches.js';
import { getObject, listObjects, selectorFrom } from './reads.js';
import { route } from './router.js';
import { matchesSelector } from './selectors.js';
import { toTable } from './table.js';
import type { TableOpts } from './table.js';
import type { KubeObject, UserInfo } from './types.js';
import { apiVersionOf, resourceKey } from './types.js';
import { checkWatchStart, startWatch } from './watch.js';
import type { WatchType } from './watch.js';
import type { Deps, Target, WriteCtx } from './writes.js';
import { create, update } from './writes.js';
import { serveScale } from './scale.js';
import { decodeProtobufBody, type ProtobufBodyError } from './protobuf.js';

export interface HandlerDeps extends Deps {
  log: Logger;
  authenticate: (req: IncomingMessage) => UserInfo | undefined;
  address: () => string;
  bookmarkIntervalMs: number;
  openWatches: Set<() => void>;
}

const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);
const MAX_BODY = 32 * 1024 * 1024;

function send(res: ServerResponse, code: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseBody(body: Buffer, contentType: string): unknown {
  if (contentType.includes('protobuf')) {
    if (body.length === 0) return undefined;
    try {
      return decodeProtobufBody(body);
    } catch (e) {
      const err = e as ProtobufBodyError;
      throw new ApiError(
        err.unsupported ? 415 : 400,
        err.unsupported ? 'UnsupportedMediaType' : 'BadRequest',
        err.message,
      );
    }
  }
  const raw = body.toString('utf8');
  if (raw.trim() === '') return undefined;
  try {
    return contentType.includes('yaml') ? YAML.parse(raw) : JSON.parse(raw);
  } catch (e) {
    throw new ApiError(
      400,
      'BadRequest',
      `the body of the request could not be decoded: ${(e as Error).message}`,
    );
  }
}

function tableOpts(req: IncomingMessage, q: URLSearchParams): TableOpts | undefined {
  const accept = req.headers.accept ?? '';
  const first = accept.split(',')[0] ?? '';
  if (!/as=Table/.test(first) || !/g=meta\.k8s\.io/.test(first)) {
    if (accept && !/application\/json|\*\/\*|application\/\*/.test(accept)) {
      throw new ApiError(
        406,
        'NotAcceptable',
        `only the following media types are accepted: application/json, application/yaml`,
      );
    }
    return undefined;
  }
  const inc = q.get('includeObject');
  return { includeObject: inc === 'Object' ? 'Object' : inc === 'None' ? 'None' : 'Metadata' };
}

function deleteOptions(body: unknown, q: URLSearchParams): DeleteOptions {
  const o = (body && typeof body === 'object' ? body : {}) as DeleteOptions;
  const grace = q.get('gracePeriodSeconds');
  return {
    ...o,
    ...(q.get('propagationPolicy') ? { propagationPolicy: q.get('propagationPolicy') ?? undefined } : {}),
    ...(grace !== null ? { gracePeriodSeconds: Number(grace) } : {}),
  };
}

function registryHash(d: HandlerDeps): string {
  const shape = d.registry.all().map((r) => [r.group, r.versions, r.plural, r.kind]);
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16).toUpperCase();
}

function serveDiscovery(d: HandlerDeps, path: string, res: ServerResponse): boolean {
  const doc = (): unknown => {
    if (path === '/api') return coreVersions(d.address());
    if (path === '/apis') return apiGroupList(d.registry);
    if (path === '/version') return versionInfo();
    if (path === '/openapi/v3') return openApiV3Index(d.registry, registryHash(d));
    const oa = /^\/openapi\/v3\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (oa)
      return oa[1] ? openApiV3Doc(d.registry, '', oa[1]) : openApiV3Doc(d.registry, oa[2] ?? '', oa[3] ?? '');
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)(?:\/([^/]+))?)$/.exec(path);
    if (!m) return undefined;
    if (m[1]) return apiResourceList(d.registry, '', m[1]);
    if (m[3]) return apiResourceList(d.registry, m[2] ?? '', m[3]);
    return apiGroup(d.registry, m[2] ?? '');
  };
  if (['/healthz', '/livez', '/readyz'].includes(path)) {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
    return true;
  }
  const body = doc();
  if (body === undefined) return false;
  send(res, 200, body);
  return true;
}

function render(t: Target, o: KubeObject, table: TableOpts | undefined): unknown {
  return table ? toTable(t.r, t.version, [o], { resourceVersion: o.metadata.resourceVersion }, table) : o;
}

function serveWatch(
  d: HandlerDeps,
  t: Target,
  req: IncomingMessage,
  res: ServerResponse,
  q: URLSearchParams,
): void {
  const table = tableOpts(req, q);
  let first = true;
  const timeout = Number(q.get('timeoutSeconds') ?? '1800');
  const w = {
    t,
    sel: selectorFrom(t, q),
    resourceVersion: q.get('resourceVersion') ?? undefined,
    bookmarks: q.get('allowWatchBookmarks') === 'true',
    sendInitialEvents: q.get('sendInitialEvents') === 'true',
    timeoutMs: Math.max(0, timeout) * 1000,
    bookmarkIntervalMs: d.bookmarkIntervalMs,
    render: (o: KubeObject, type: WatchType): unknown => {
      if (!table || type === 'BOOKMARK') return o;
      const out = toTable(
        t.r,
        t.version,
        [o],
        { resourceVersion: o.metadata.resourceVersion },
        { ...table, noHeaders: !first },
      );
      first = false;
      return out;
    },
  };
  checkWatchStart(d, w);
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders();
  let stop: () => void = () => undefined;
  const sink = {
    send: (type: WatchType, object: unknown): void => void res.write(`${JSON.stringify({ type, object })}\n`),
    end: (): void => {
      d.openWatches.delete(stop);
      res.end();
    },
  };
  stop = startWatch(d, w, sink);
  d.openWatches.add(stop);
  res.on('close', stop);
}

function listOrTable(t: Target, req: IncomingMessage, q: URLSearchParams, d: HandlerDeps): unknown {
  const table = tableOpts(req, q);
  const list = listObjects(d, t, q) as { metadata: Record<string, unknown>; items: KubeObject[] };
  return table ? toTable(t.r, t.version, list.items, list.metadata, table) : list;
}

function deleteCollection(
  d: HandlerDeps,
  t: Target,
  q: URLSearchParams,
  opts: DeleteOptions,
  ctx: WriteCtx,
): unknown {
  const sel = selectorFrom(t, q);
  const items: unknown[] = [];
  for (const o of d.store.list(resourceKey(t.r), t.namespace)) {
    if (!matchesSelector(sel, o)) continue;
    deleteObject(d, { ...t, namespace: o.metadata.namespace, name: o.metadata.name }, opts, ctx);
    items.push(asVersion(t.r, o, t.version));
  }
  return {
    kind: t.r.listKind,
    apiVersion: apiVersionOf(t.r.group, t.version),
    metadata: { resourceVersion: String(d.store.revision) },
    items,
  };
}

async function serveResource(
  d: HandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  user: UserInfo,
): Promise<void> {
  const rt = route(d.registry, url.pathname);
  if (rt.kind === 'unknown-resource' || rt.kind === 'none' || rt.kind === 'discovery')
    throw pathNotFound(url.pathname);
  const t: Target = {
    r: rt.r,
    version: rt.version,
    namespace: rt.namespace,
    name: rt.name,
    subresource: rt.subresource,
  };
  const q = url.searchParams;
  const method = req.method ?? 'GET';
  const ctx: WriteCtx = {
    user,
    dryRun: q.getAll('dryRun').includes('All'),
    fieldValidation: q.get('fieldValidation') ?? 'Warn',
    warnings: [],
  };
  const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim() ?? '';
  const reply = (code: number, body: unknown): void => {
    if (ctx.warnings?.length)
      res.setHeader(
        'Warning',
        ctx.warnings.map((w) => `299 - ${JSON.stringify(w)}`),
      );
    send(res, code, body);
  };
  const sub = t.subresource;
  if (sub && !(sub === 'status' && t.r.statusSubresource) && !t.r.extraSubresources.includes(sub))
    throw pathNotFound(url.pathname);
  if (t.name === undefined) {
    if (method === 'GET' && (q.get('watch') === 'true' || q.get('watch') === '1' || rt.legacyWatch))
      return serveWatch(d, t, req, res, q);
    if (method === 'GET') return reply(200, listOrTable(t, req, q, d));
    const body = parseBody(await readBody(req), contentType);
    if (method === 'POST') return reply(201, create(d, t, body, ctx));
    if (method === 'DELETE') return reply(200, deleteCollection(d, t, q, deleteOptions(body, q), ctx));
    throw methodNotAllowed();
  }
  if (sub === 'scale') {
    const raw = method === 'GET' ? Buffer.alloc(0) : await readBody(req);
    const body = (): unknown => parseBody(raw, contentType);
    return reply(200, serveScale(d, t, { method, contentType, body, raw: raw.toString('utf8') }, ctx));
  }
  if (method === 'GET') {
    if (rt.legacyWatch) {
      const wq = new URLSearchParams(q);
      wq.set('fieldSelector', `metadata.name=${t.name}`);
      return serveWatch(d, { ...t, name: undefined }, req, res, wq);
    }
    const table = tableOpts(req, q);
    return reply(200, render(t, getObject(d, t), table));
  }
  const raw = await readBody(req);
  if (method === 'PUT')
    return reply(200, asVersion(t.r, update(d, t, parseBody(raw, contentType), ctx), t.version));
  if (method === 'PATCH')
    return reply(200, asVersion(t.r, patchObject(d, t, contentType, raw.toString('utf8'), ctx), t.version));
  if (method === 'DELETE' && !sub) {
    const out = deleteObject(d, t, deleteOptions(parseBody(raw, contentType), q), ctx);
    return send(
      res,
      200,
      'metadata' in out && (out as KubeObject).kind === t.r.kind
        ? asVersion(t.r, out as KubeObject, t.version)
        : out,
    );
  }
  throw methodNotAllowed();
}

export function makeHandler(d: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const started = Date.now();
    const finish = (e?: unknown): void => {
      if (e !== undefined) {
        const err =
          e instanceof ApiError
            ? e
            : new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
        if (err.code >= 500)
          d.log.error('request failed', { method: req.method, path: url.pathname, error: e });
        if (!res.headersSent) send(res, err.code, err.toStatus());
        else res.end();
      }
      d.log.debug('request', {
        method: req.method,
        path: url.pathname,
        query: url.search,
        code: res.statusCode,
        ms: Date.now() - started,
      });
    };
    try {
      const user = d.authenticate(req);
      if (!user && !PUBLIC_PATHS.has(url.pathname)) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      if (req.method === 'GET' && serveDiscovery(d, url.pathname, res)) return finish();
      serveResource(
        d,
        req,
        res,
        url,
        user ?? { username: 'system:anonymous', groups: ['system:unauthenticated'] },
      ).then(() => finish(), finish);
    } catch (e) {
      finish(e);
    }
  };
}
