/** startApiServer: an in-process Kubernetes API server over HTTPS, several per process if wanted. */
import { randomBytes } from 'node:crypto';
import { writeFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@ocm-fl/common/logger.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { onCrdEvent, onNamespaceAdded } from './controllers.js';
import { LifecycleControllers } from './gc.js';
import { makeHandler } from './http-handler.js';
import { renderKubeconfig } from './kubeconfig.js';
import { newUid, now } from './meta.js';
import { loadState, saveState } from './persistence.js';
import { Registry } from './registry.js';
import { ObjectStore } from './store.js';
import { makeServerTls } from './tls.js';
import type { ServerTls } from './tls.js';
import type { UserInfo } from './types.js';
import type { Deps } from './writes.js';

export interface ApiServerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Keep objects, CA and tokens here so a restarted server resumes (optional). */
  dataDir?: string;
  /** Cluster name used in kubeconfigs and the certificate; default "embedded". */
  name?: string;
  logger?: Logger;
  /** How many watch events are kept for resumption (older resourceVersions get 410 Gone). */
  historySize?: number;
  /** Interval of BOOKMARK events on watches that allow them; default 10 s. */
  bookmarkIntervalMs?: number;
}

export interface ApiServer {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly caPem: string;
  /** Kubeconfig YAML with the embedded CA and a bearer token for `user` (default "admin"). */
  kubeconfig(user?: string, opts?: { namespace?: string }): string;
  writeKubeconfig(path: string, user?: string): Promise<void>;
  /** A ready @kubernetes/client-node KubeConfig for `user`. */
  kubeConfig(user?: string): KubeConfig;
  /** Register (or look up) a user; returns its bearer token. Groups end up in e.g. CSR spec.groups. */
  addUser(name: string, groups?: string[]): string;
  /** Current global resourceVersion. */
  revision(): number;
  /** Requests and watch connections so far, per user. */
  requestStats(): Record<string, UserRequestStats>;
  /** Forget watch history up to now: watches from older resourceVersions then get 410 Gone. */
  compactHistory(): void;
  close(): Promise<void>;
}

type Users = Record<string, UserInfo & { token: string }>;

/**
 * Bearer-token authentication through an index token → user (rebuilt when users change), so a
 * fleet-scale run with a thousand klusterlet identities does not scan every user per request.
 */
function tokenAuth(users: Users): {
  auth: (req: IncomingMessage) => UserInfo | undefined;
  reindex: () => void;
} {
  let byToken = new Map<string, UserInfo>();
  const reindex = (): void => {
    byToken = new Map(Object.values(users).map((u) => [u.token, { username: u.username, groups: u.groups }]));
  };
  reindex();
  const auth = (req: IncomingMessage): UserInfo | undefined => {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    return m ? byToken.get(m[1]?.trim() ?? '') : undefined;
  };
  return { auth, reindex };
}

/** Requests and watch connections per authenticated user (benchmarks read these). */
export interface UserRequestStats {
  requests: number;
  watchesOpen: number;
  watchesPeak: number;
}

function countRequests(
  auth: (req: IncomingMessage) => UserInfo | undefined,
  stats: Map<string, UserRequestStats>,
  next: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const user = auth(req)?.username ?? 'system:anonymous';
    let s = stats.get(user);
    if (!s) stats.set(user, (s = { requests: 0, watchesOpen: 0, watchesPeak: 0 }));
    s.requests++;
    if (/[?&]watch=(true|1)(&|$)/.test(req.url ?? '')) {
      const st = s;
      st.watchesOpen++;
      st.watchesPeak = Math.max(st.watchesPeak, st.watchesOpen);
      res.once('close', () => st.watchesOpen--);
    }
    next(req, res);
  };
}

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function seedNamespaces(d: Deps): void {
  for (const ns of SYSTEM_NAMESPACES) {
    if (d.store.get('/namespaces', undefined, ns)) continue;
    d.store.put('/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        uid: newUid(),
        creationTimestamp: now(),
        labels: { 'kubernetes.io/metadata.name': ns },
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }
}

export async function startApiServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
  const name = opts.name ?? 'embedded';
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger ?? silentLogger;
  const saved = opts.dataDir ? loadState(opts.dataDir) : undefined;
  const tls: ServerTls =
    saved?.tls ?? makeServerTls(name, host === '127.0.0.1' || host === '0.0.0.0' ? [] : [host]);
  const users: Users = saved?.users ?? {};
  const store = new ObjectStore(opts.historySize);
  const d: Deps = { store, registry: new Registry() };
  if (saved) store.restore(saved.store);
  for (const o of store.list('apiextensions.k8s.io/customresourcedefinitions')) d.registry.addCrd(o);
  store.subscribe((e) => onCrdEvent(d, e, log));
  store.subscribe((e) => onNamespaceAdded(d, e, tls.ca.certPem));
  seedNamespaces(d);
  const controllers = new LifecycleControllers(d, log);
  controllers.schedule();

  let saveTimer: NodeJS.Timeout | undefined;
  const persist = (): void => {
    if (opts.dataDir) saveState(opts.dataDir, { version: 1, tls, users, store: store.snapshot() });
  };
  if (opts.dataDir) {
    store.subscribe(() => {
      saveTimer ??= setTimeout(() => {
        saveTimer = undefined;
        persist();
      }, 200);
    });
  }

  const openWatches = new Set<() => void>();
  let address = '';
  const tokens = tokenAuth(users);
  const stats = new Map<string, UserRequestStats>();
  const handle = makeHandler({
    ...d,
    log,
    authenticate: tokens.auth,
    address: () => address,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 10_000,
    openWatches,
  });
  const server: Server = createServer(
    { key: tls.serving.keyPem, cert: tls.serving.certPem },
    countRequests(tokens.auth, stats, handle),
  );
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  address = `${urlHost}:${port}`;
  const url = `https://${address}`;
  log.info('API server listening', { name, url });

  const addUser = (user: string, groups?: string[]): string => {
    const existing = users[user];
    if (existing) return existing.token;
    const token = randomBytes(24).toString('base64url');
    users[user] = { username: user, groups: groups ?? (user === 'admin' ? ['system:masters'] : []), token };
    tokens.reindex();
    persist();
    return token;
  };
  const kubeconfig = (user = 'admin', o: { namespace?: string } = {}): string =>
    renderKubeconfig({
      clusterName: name,
      server: url,
      caPem: tls.ca.certPem,
      user,
      token: addUser(user),
      ...o,
    });

  return {
    name,
    url,
    port,
    caPem: tls.ca.certPem,
    kubeconfig,
    async writeKubeconfig(path, user) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, kubeconfig(user), { mode: 0o600 });
    },
    kubeConfig(user) {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfig(user));
      return kc;
    },
    addUser,
    revision: () => store.revision,
    requestStats: () => Object.fromEntries([...stats].map(([u, s]) => [u, { ...s }])),
    compactHistory: () => store.compact(),
    async close() {
      controllers.stop();
      for (const stop of [...openWatches]) stop();
      if (saveTimer) clearTimeout(saveTimer);
      persist();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
