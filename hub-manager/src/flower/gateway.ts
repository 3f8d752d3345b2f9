/**
 * The Flower gateway: the only door from the clusters to a job's SuperLink. It terminates
 * mutual TLS with the addon CA (client certificate required), applies fleet-policy.ts to every
 * HTTP request, registers first-seen SuperNode keys for the cluster that presented them
 * (key-registry.ts), and forwards the allowed requests to the SuperLink over TLS on the pod's
 * loopback. Certificate and CA bundle files are re-read when they change (renewal, CA
 * rotation); open connections keep the context they were accepted with.
 */
import { stat, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '@ocm-fl/common/logger.js';
import { decide, type Refusal } from './fleet-policy.js';
import { KeyRegistry } from './key-registry.js';
import { registerNode, superLinkAgent, superLinkRequest, type SuperLinkAddress } from './superlink-client.js';
import { endToEndHeaders } from '@ocm-fl/common/http/hop-headers.js';

export interface GatewayOptions {
  host: string;
  port: number;
  /** Server certificate and key, and the CA bundle client certificates must chain to. */
  tls: { certFile: string; keyFile: string; caFile: string };
  superLink: SuperLinkAddress;
  admitted: readonly string[];
  maxKeysPerCluster?: number;
  /** How often the TLS files are checked for changes. */
  reloadMs?: number;
  logger: Logger;
}

export class FlowerGateway {
  readonly keys = new KeyRegistry();
  /** Refusals so far, by reason and cluster (`<reason>/<cluster>`). */
  readonly refusals = new Map<string, number>();
  /** TLS handshakes refused (no certificate, or one the addon CA did not sign). */
  handshakeRefusals = 0;
  /** TLS file reloads since start (renewal, CA rotation). */
  reloads = 0;
  private admitted: Set<string>;
  private server?: Server;
  private readonly agent;
  private stamp = '';
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: GatewayOptions) {
    this.admitted = new Set(o.admitted);
    this.agent = superLinkAgent(o.superLink);
  }

  setAdmitted(clusters: readonly string[]): void {
    this.admitted = new Set(clusters);
    this.o.logger.info('admitted clusters updated', { clusters });
  }

  async start(): Promise<number> {
    const ctx = await this.readTls();
    const server = createServer(
      { ...ctx, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
      (req, res) => {
        this.handle(req, res).catch((e: unknown) => {
          this.o.logger.error('forwarding failed', { error: (e as Error).message });
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end('gateway: upstream error\n');
        });
      },
    );
    server.on('tlsClientError', (e) => {
      if (this.handshakeRefusals++ === 0) this.o.logger.warn('TLS handshake refused', { error: e.message });
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
    this.agent.destroy();
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async readTls(): Promise<{ cert: string; key: string; ca: string }> {
    const { certFile, keyFile, caFile } = this.o.tls;
    const [cert, key, ca] = await Promise.all([certFile, keyFile, caFile].map((f) => readFile(f, 'utf8')));
    this.stamp = await this.tlsStamp();
    return { cert: cert ?? '', key: key ?? '', ca: ca ?? '' };
  }

  private async tlsStamp(): Promise<string> {
    const { certFile, keyFile, caFile } = this.o.tls;
    const s = await Promise.all([certFile, keyFile, caFile].map((f) => stat(f)));
    return s.map((x) => `${x.mtimeMs}:${x.size}:${x.ino}`).join('|');
  }

  private async reloadIfChanged(): Promise<void> {
    try {
      if ((await this.tlsStamp()) === this.stamp) return;
      const ctx = await this.readTls();
      this.server?.setSecureContext({ ...ctx, minVersion: 'TLSv1.2' });
      this.reloads++;
      this.o.logger.info('TLS files reloaded');
    } catch (e) {
      // A half-swapped Secret mount: keep the current context and try again next tick.
      this.o.logger.warn('TLS files not reloaded', { error: (e as Error).message });
    }
  }

  private refuse(res: ServerResponse, refusal: Refusal, message: string, cluster?: string): void {
    const k = `${refusal}/${cluster ?? '-'}`;
    const n = (this.refusals.get(k) ?? 0) + 1;
    this.refusals.set(k, n);
    if (n === 1) this.o.logger.warn('request refused', { refusal, cluster, message });
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end(`gateway: ${refusal}: ${message}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const key = req.headers['flwr-public-key'];
    const d = decide(
      {
        commonName: typeof peer?.subject?.CN === 'string' ? peer.subject.CN : '',
        method: req.method ?? '',
        path: req.url ?? '',
        ...(typeof key === 'string' && key ? { publicKey: key } : {}),
      },
      {
        admitted: this.admitted,
        owner: (k) => this.keys.owner(k),
        keysOf: (c) => this.keys.keysOf(c),
        maxKeysPerCluster: this.o.maxKeysPerCluster ?? 2,
      },
    );
    if (!d.allow) {
      req.resume();
      this.refuse(res, d.refusal, d.message, d.cluster);
      return;
    }
    if (d.register && typeof key === 'string') {
      const owner = await this.keys.bind(key, d.cluster, () =>
        registerNode(this.o.superLink, this.agent, Buffer.from(key, 'base64')),
      );
      this.o.logger.info('SuperNode key registered', { cluster: owner.cluster, nodeId: owner.nodeId });
    }
    await this.forward(req, res);
  }

  private forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers = endToEndHeaders(req.headers, { dropHost: true });
    headers.host = `${this.o.superLink.serverName}:${this.o.superLink.port}`;
    return new Promise((resolve, reject) => {
      const up = request(
        { ...superLinkRequest(this.o.superLink, this.agent), method: req.method, path: req.url, headers },
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
