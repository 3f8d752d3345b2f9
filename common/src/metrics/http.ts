/** A listener that answers only `GET /metrics` (for processes with no other HTTP endpoint). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exposition, type Registry } from './registry.js';

export interface MetricsEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

export async function serveMetrics(registry: Registry, host: string, port: number): Promise<MetricsEndpoint> {
  const server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics') return void res.writeHead(404).end('not found');
    exposition(registry).then(
      (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
      (e: unknown) => res.writeHead(500).end(`metrics: ${(e as Error).message}`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
