/**
 * The SuperNode's way out of its cluster. Flower's SuperNode cannot present a client
 * certificate, so it talks HTTPS to this forwarder on its own pod's loopback (a local
 * certificate the SuperNode is told to trust, see node-files.ts), and the forwarder carries
 * every request to the hub's Flower gateway over mutual TLS with the cluster's addon client
 * certificate. The certificate files (the mounted client-cert Secret and CA bundle) are
 * re-read when they change, so a renewal or a CA rotation takes effect on the next
 * connection without a restart.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@ocm-fl/common/logger.js';
import { endToEndHeaders } from '@ocm-fl/common/http/hop-headers.js';

export interface ForwarderOptions {
  /** Where the SuperNode connects (its pod's loopback). */
  host: string;
  port: number;
  /** The local serving certificate the SuperNode trusts. */
  local: { certFile: string; keyFile: string };
  /** The hub gateway (host:port) and the name its certificate is for. */
  gateway: { host: string; port: number; serverName: string };
  /** The cluster's addon identity: client certificate, key and the CA bundle for the gateway. */
  identity: { certFile: string; keyFile: string; caFile: string };
  reloadMs?: number;
  logger: Logger;
}

export class FlowerForwarder {
  /** Identity reloads since start (renewals, CA rotations). */
  reloads = 0;
  private server?: Server;
  private agent?: Agent;
  private stamp = '';
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: ForwarderOptions) {}

  async start(): Promise<number> {
    await this.loadIdentity();
    const [cert, key] = await Promise.all([readFile(this.o.local.certFile), readFile(this.o.local.keyFile)]);
    const server = createServer({ cert, key, minVersion: 'TLSv1.2' }, (req, res) => {
      this.forward(req, res).catch((e: unknown) => {
        this.o.logger.warn('forwarding to the gateway failed', { error: (e as Error).message });
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`forwarder: ${(e as Error).message}\n`);
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => resolve());
    });
    this.timer = setInterval(() => void this.reloadIfChanged(), this.o.reloadMs ?? 2_000);
    this.timer.unref();
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.agent?.destroy();
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async identityStamp(): Promise<string> {
    const { certFile, keyFile, caFile } = this.o.identity;
    const s = await Promise.all([certFile, keyFile, caFile].map((f) => stat(f)));
    return s.map((x) => `${x.mtimeMs}:${x.size}:${x.ino}`).join('|');
  }

  private async loadIdentity(): Promise<void> {
    const { certFile, keyFile, caFile } = this.o.identity;
    const stamp = await this.identityStamp();
    const [cert, key, ca] = await Promise.all([readFile(certFile), readFile(keyFile), readFile(caFile)]);
    const old = this.agent;
    // New connections use the new identity; requests in flight finish on the old agent.
    this.agent = new Agent({
      keepAlive: true,
      cert,
      key,
      ca,
      servername: this.o.gateway.serverName,
      maxSockets: 32,
    });
    this.stamp = stamp;
    if (old) setTimeout(() => old.destroy(), 60_000).unref();
  }

  private async reloadIfChanged(): Promise<void> {
    try {
      if ((await this.identityStamp()) === this.stamp) return;
      await this.loadIdentity();
      this.reloads++;
      this.o.logger.info('client certificate reloaded');
    } catch (e) {
      this.o.logger.warn('client certificate not reloaded', { error: (e as Error).message });
    }
  }

  private forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { host, port, serverName } = this.o.gateway;
    const headers = endToEndHeaders(req.headers, { dropHost: true });
    headers.host = `${serverName}:${port}`;
    return new Promise((resolve, reject) => {
      const up = request(
        { host, port, servername: serverName, agent: this.agent, method: req.method, path: req.url, headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, endToEndHeaders(r.headers));
          r.pipe(res);
          r.on('end', () => resolve());
          r.on('error', reject);
        },
      );
      up.on('error', reject);
      req.pipe(up);
    });
  }
}
