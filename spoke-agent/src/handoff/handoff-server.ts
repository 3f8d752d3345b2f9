import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '@ocm-fl/common/logger.js';
import { HttpError, readJsonBody, sendError, sendJson } from './http-util.js';
import { readModelFile } from './model-file.js';
import { Round } from './round.js';
import { bearerToken, isAcceptableToken, newToken, tokensEqual } from './token.js';
import { parseFailure, parseMetrics, parseProgress } from './trainer-messages.js';
import type { OpenRoundOptions, RoundHandle } from './types.js';

export interface HandoffServerOptions {
  /** Interface to bind; the agent binds 0.0.0.0 behind its Service, tests 127.0.0.1. */
  readonly host?: string;
  /** Port; 0 picks a free one. The agent uses HANDOFF_PORT (8081). */
  readonly port?: number;
  /** Base URL trainers reach this server at, e.g. `http://fl-agent-handoff.<ns>.svc:8081`. */
  readonly advertiseUrl?: string;
  /** A stalled connection (no bytes for this long) is dropped. */
  readonly idleTimeoutMs?: number;
  readonly logger?: Logger;
}

export const HANDOFF_PORT = 8081;
const ROUND_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ROUTE = /^\/v1\/rounds\/([^/]+)\/([a-z]+)$/;
const METHODS: Record<string, string[]> = {
  task: ['GET'],
  model: ['GET', 'HEAD'],
  update: ['PUT'],
  metrics: ['PUT'],
  progress: ['POST'],
  fail: ['POST'],
};

/**
 * The agent's trainer handoff endpoint (../../TRAINER.md): per round, a trainer holding that
 * round's bearer token can read the task and the global model and upload exactly one update.
 * It never sees hub credentials: those stay in the agent.
 */
export class HandoffServer {
  private readonly rounds = new Map<string, Round>();
  private readonly log: Logger;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly baseUrl: string,
    log: Logger,
  ) {
    this.log = log;
  }

  static async start(opts: HandoffServerOptions = {}): Promise<HandoffServer> {
    const log = opts.logger ?? silentLogger;
    const server = createServer({ requestTimeout: 0, headersTimeout: 30_000 });
    const host = opts.host ?? '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? HANDOFF_PORT, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const base = (opts.advertiseUrl ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`).replace(
      /\/+$/,
      '',
    );
    const hs = new HandoffServer(server, port, base, log);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void hs.handle(req, res));
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => void hs.handle(req, res));
    const idle = opts.idleTimeoutMs ?? 120_000;
    server.on('connection', (s) => s.setTimeout(idle, () => s.destroy()));
    return hs;
  }

  /** Open a round: the model is described and hashed now, so it must be complete on disk. */
  async openRound(opts: OpenRoundOptions): Promise<RoundHandle> {
    if (!ROUND_ID.test(opts.roundId))
      throw new Error(`roundId ${JSON.stringify(opts.roundId)} must match ${ROUND_ID}`);
    if (this.rounds.has(opts.roundId)) throw new Error(`round ${opts.roundId} is already open`);
    const token = opts.token ?? newToken();
    if (!isAcceptableToken(token)) throw new Error('token must be 32..256 URL-safe characters');
    const model = await readModelFile(opts.modelPath);
    await mkdir(opts.workDir, { recursive: true, mode: 0o700 });
    const max = opts.maxUpdateBytes ?? model.description.bytes + 64 * 1024;
    const round = new Round(opts, {
      token,
      model,
      maxUpdateBytes: max,
      log: this.log.child({ roundId: opts.roundId }),
    });
    if (this.rounds.has(opts.roundId)) throw new Error(`round ${opts.roundId} is already open`);
    this.rounds.set(opts.roundId, round);
    await round.resume();
    const url = `${this.baseUrl}/v1/rounds/${opts.roundId}`;
    return {
      roundId: opts.roundId,
      url,
      token,
      result: round.result,
      metrics: () => round.metrics(),
      close: async (reason?: string) => {
        if (this.rounds.get(opts.roundId) === round) this.rounds.delete(opts.roundId);
        await round.close(reason);
      },
    };
  }

  /** Close every round and stop listening. */
  async close(): Promise<void> {
    await Promise.all([...this.rounds.values()].map((r) => r.close('handoff server stopped')));
    this.rounds.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = new URL(req.url ?? '/', 'http://handoff').pathname;
      if (path === '/healthz' && req.method === 'GET') return sendJson(res, 200, { ok: true });
      const m = ROUTE.exec(path);
      if (!m) throw new HttpError(404, 'not found');
      const [, roundId, op] = m as unknown as [string, string, string];
      const round = this.authenticate(roundId, req);
      const allowed = METHODS[op];
      if (!allowed) throw new HttpError(404, `unknown endpoint ${op}`);
      if (!allowed.includes(req.method ?? ''))
        throw new HttpError(405, `${op} allows ${allowed.join(', ')}`, { Allow: allowed.join(', ') });
      await this.dispatch(op, round, req, res);
    } catch (e) {
      if (e instanceof HttpError) {
        if (e.headers.Connection === 'close') res.on('finish', () => req.socket.destroy());
        else req.resume();
        return sendError(res, e.status, e.message, e.headers);
      }
      if (req.destroyed) return; // round closed under an upload
      this.log.error('handoff request failed', { url: req.url, error: e });
      sendError(res, 500, 'internal error');
    }
  }

  /** Unknown round and wrong token look the same (401), so a token holder learns nothing else. */
  private authenticate(roundId: string, req: IncomingMessage): Round {
    const round = this.rounds.get(roundId);
    const token = bearerToken(req.headers.authorization);
    if (!round || !token || !tokensEqual(token, round.token)) {
      this.log.warn('handoff request refused', {
        roundId: roundId.slice(0, 130),
        reason: token ? 'bad token or unknown round' : 'no bearer token',
      });
      throw new HttpError(401, 'missing or invalid round token', {
        'WWW-Authenticate': 'Bearer realm="fl-handoff"',
      });
    }
    return round;
  }

  private async dispatch(op: string, round: Round, req: IncomingMessage, res: ServerResponse): Promise<void> {
    switch (op) {
      case 'task':
        return sendJson(res, 200, round.served);
      case 'model':
        return serveModel(round, req, res);
      case 'update':
        return round.handleUpdate(req, res);
      case 'metrics':
        round.setMetrics(parseMetrics(await readJsonBody(req)));
        return void res.writeHead(204).end();
      case 'progress': {
        const p = parseProgress(await readJsonBody(req));
        round.opts.onProgress?.(p);
        return void res.writeHead(204).end();
      }
      case 'fail':
        round.fail(parseFailure(await readJsonBody(req)));
        return void res.writeHead(204).end();
    }
  }
}

function serveModel(round: Round, req: IncomingMessage, res: ServerResponse): void {
  const d = round.model.description;
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': d.bytes,
    ETag: `"${d.digest}"`,
    'X-FL-Model-Digest': d.digest,
  });
  if (req.method === 'HEAD') return void res.end();
  const stream = createReadStream(round.model.path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
