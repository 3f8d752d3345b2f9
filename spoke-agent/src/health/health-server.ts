/**
 * `/metrics`: Prometheus text (when given a registry). `/healthz`: the process answers and its event loop is not stalled. `/readyz`: every readiness
 * check passes (certificate loaded, API reachable, lease renewed recently); the body lists them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exposition, type Registry } from '@ocm-fl/common/metrics/registry.js';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface ReadinessCheck {
  readonly name: string;
  /** Undefined when ready, else the reason it is not. */
  readonly check: () => string | undefined;
}

export interface HealthServerOptions {
  readonly host?: string;
  readonly port: number;
  readonly checks: readonly ReadinessCheck[];
  /** Facts reported with /readyz whatever the outcome (e.g. the client certificate's expiry). */
  readonly details?: () => Record<string, unknown>;
  /** Event-loop delay (p99 over the last interval) above which /healthz fails; default 5 s. */
  readonly maxLoopDelayMs?: number;
  /** Served as Prometheus text on `/metrics`. */
  readonly metrics?: Registry;
}

export interface ReadyReport {
  readonly ready: boolean;
  readonly checks: Record<string, string>;
}

/** Run the checks; a throwing check counts as not ready. Pure apart from the checks. */
export function readiness(checks: readonly ReadinessCheck[]): ReadyReport {
  const out: Record<string, string> = {};
  let ready = true;
  for (const c of checks) {
    let why: string | undefined;
    try {
      why = c.check();
    } catch (e) {
      why = `check failed: ${e instanceof Error ? e.message : String(e)}`;
    }
    out[c.name] = why ?? 'ok';
    if (why !== undefined) ready = false;
  }
  return { ready, checks: out };
}

export class HealthServer {
  private constructor(
    private readonly server: Server,
    private readonly loop: IntervalHistogram,
    readonly port: number,
  ) {}

  static async start(o: HealthServerOptions): Promise<HealthServer> {
    const loop = monitorEventLoopDelay({ resolution: 20 });
    loop.enable();
    const maxDelay = o.maxLoopDelayMs ?? 5000;
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://health').pathname;
      if (path === '/metrics' && o.metrics)
        return void exposition(o.metrics).then(
          (m) => res.writeHead(200, { 'Content-Type': m.contentType }).end(m.body),
          (e: unknown) => res.writeHead(500).end(`metrics: ${(e as Error).message}`),
        );
      let status = 404;
      let body: unknown = { error: 'not found' };
      if (path === '/healthz' || path === '/livez') {
        const p99 = loop.percentile(99) / 1e6;
        loop.reset();
        status = p99 > maxDelay ? 503 : 200;
        body = { ok: status === 200, eventLoopDelayP99Ms: Math.round(p99) };
      } else if (path === '/readyz') {
        const r = readiness(o.checks);
        status = r.ready ? 200 : 503;
        body = o.details ? { ...r, details: o.details() } : r;
      }
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host ?? '0.0.0.0', () => resolve());
    });
    return new HealthServer(server, loop, (server.address() as AddressInfo).port);
  }

  async close(): Promise<void> {
    this.loop.disable();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
