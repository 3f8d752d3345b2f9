import * as http from 'node:http';
import * as https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { toKubeError } from './errors.js';

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The one place that speaks HTTP to an API server; credentials come from the kubeconfig. */
export class Transport {
  private readonly base: URL;
  constructor(private readonly kc: KubeConfig) {
    const server = kc.getCurrentCluster()?.server;
    if (!server) throw new Error('kubeconfig has no current cluster server');
    this.base = new URL(server);
  }

  get server(): string {
    return this.base.toString();
  }

  private async open(method: string, path: string, o: RequestOptions): Promise<http.IncomingMessage> {
    const url = new URL(this.base.pathname.replace(/\/$/, '') + path, this.base);
    for (const [k, v] of Object.entries(o.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const body = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
    const opts: https.RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: { Accept: 'application/json' },
    };
    await this.kc.applyToHTTPSOptions(opts);
    const headers = opts.headers as Record<string, string | number>;
    if (body) {
      headers['Content-Type'] = o.contentType ?? 'application/json';
      headers['Content-Length'] = body.length;
    }
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request({ ...opts, signal: o.signal }, resolve);
      req.on('error', reject);
      if (o.timeoutMs)
        req.setTimeout(o.timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.end(body);
    });
  }

  /** A request whose JSON answer is returned; non-2xx becomes a KubeError. */
  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const res = await this.open(method, path, { timeoutMs: 30_000, ...o });
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw toKubeError(status, text, `${method} ${path}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** A streaming GET (watch); the caller reads lines from the response. */
  async stream(path: string, o: RequestOptions): Promise<http.IncomingMessage> {
    const res = await this.open('GET', path, o);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw toKubeError(status, Buffer.concat(chunks).toString('utf8'), `watch ${path}`);
    }
    return res;
  }
}
