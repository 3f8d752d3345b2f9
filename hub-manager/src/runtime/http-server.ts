/** /healthz, /readyz and /metrics (Prometheus text) of the hub-manager. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Probes {
  ready: () => boolean;
  /** Gauges and counters, name → value; rendered as untyped Prometheus samples. */
  metrics: () => Record<string, number>;
}

export interface HttpEndpoint {
  port: number;
  close(): Promise<void>;
}

export function renderMetrics(m: Record<string, number>): string {
  return Object.entries(m)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join('\n')
    .concat('\n');
}

export async function startHttpEndpoint(host: string, port: number, p: Probes): Promise<HttpEndpoint> {
  const server: Server = createServer((req, res) => {
    const url = req.url?.split('?')[0];
    if (url === '/healthz') return void res.writeHead(200).end('ok');
    if (url === '/readyz') {
      const ok = p.ready();
      return void res.writeHead(ok ? 200 : 503).end(ok ? 'ok' : 'not ready');
    }
    if (url === '/metrics')
      return void res
        .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
        .end(renderMetrics(p.metrics()));
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
