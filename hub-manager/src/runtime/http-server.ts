/** /healthz, /readyz and /metrics (Prometheus text exposition) of the hub-manager. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exposition, type Registry } from '@ocm-fl/common/metrics/registry.js';

export interface Probes {
  ready: () => boolean;
  metrics: Registry;
}

export interface HttpEndpoint {
  port: number;
  close(): Promise<void>;
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
      return void exposition(p.metrics).then(
        (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
        (e: unknown) => res.writeHead(500).end(`metrics: ${(e as Error).message}`),
      );
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
