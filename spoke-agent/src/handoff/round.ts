import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from '@ocm-fl/common/logger.js';
import { HttpError, sendError, sendJson } from './http-util.js';
import type { ModelFile } from './model-file.js';
import { MAX_METRICS, parseExamples } from './trainer-messages.js';
import {
  RoundClosedError,
  TrainerFailedError,
  type OpenRoundOptions,
  type RoundResult,
  type ServedTask,
} from './types.js';
import { receiveUpdate, UpdateRejected } from './update-receiver.js';

export const UPDATE_FILE = 'update.safetensors';
export const RESULT_FILE = 'result.json';

type State = 'open' | 'uploading' | 'done' | 'failed' | 'closed';

/** One task-round's state on the handoff server. The server authenticates; this decides. */
export class Round {
  state: State = 'open';
  readonly served: ServedTask;
  readonly result: Promise<RoundResult>;
  private metricsValue: Record<string, number> = {};
  private settle!: { resolve: (r: RoundResult) => void; reject: (e: Error) => void };
  private upload?: { req: IncomingMessage; done: Promise<void> };

  readonly token: string;
  readonly model: ModelFile;
  readonly maxUpdateBytes: number;
  private readonly log: Logger;

  constructor(
    readonly opts: OpenRoundOptions,
    deps: { token: string; model: ModelFile; maxUpdateBytes: number; log: Logger },
  ) {
    ({ token: this.token, model: this.model, maxUpdateBytes: this.maxUpdateBytes, log: this.log } = deps);
    this.served = {
      ...opts.task,
      model: deps.model.description,
      limits: { maxUpdateBytes: deps.maxUpdateBytes, maxMetrics: MAX_METRICS },
    };
    this.result = new Promise<RoundResult>((resolve, reject) => (this.settle = { resolve, reject }));
    // The agent may never await a round it closes; that must not crash the process.
    this.result.catch(() => undefined);
  }

  metrics(): Readonly<Record<string, number>> {
    return { ...this.metricsValue };
  }

  /**
   * Adopt a result persisted before an agent restart; true when the round is already done.
   * Temporary files of uploads a previous agent process was receiving are removed first.
   */
  async resume(): Promise<boolean> {
    for (const f of await readdir(this.opts.workDir)) {
      if (/^\.(update|result)-[0-9a-f]+\.partial$/.test(f))
        await rm(join(this.opts.workDir, f), { force: true });
    }
    let saved: RoundResult & { roundId?: string };
    try {
      saved = JSON.parse(await readFile(join(this.opts.workDir, RESULT_FILE), 'utf8')) as RoundResult & {
        roundId?: string;
      };
      const st = await stat(saved.updatePath);
      if (saved.roundId !== this.opts.roundId || st.size !== saved.bytes) return false;
    } catch {
      return false;
    }
    const { roundId: _, ...result } = saved;
    this.finish(result);
    return true;
  }

  setMetrics(m: Record<string, number>): void {
    this.requireOpen('metrics');
    this.metricsValue = m;
  }

  fail(reason: string): void {
    this.requireOpen('fail');
    this.state = 'failed';
    this.log.warn('trainer reported failure', { roundId: this.opts.roundId, reason });
    this.settle.reject(new TrainerFailedError(reason));
  }

  async handleUpdate(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requireOpen('update');
    const examples = parseExamples(req.headers['x-fl-examples']);
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > this.maxUpdateBytes)
      throw new HttpError(413, `update of ${declared} bytes exceeds ${this.maxUpdateBytes} bytes`, {
        Connection: 'close',
      });
    if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
    this.state = 'uploading';
    let release!: () => void;
    this.upload = { req, done: new Promise<void>((r) => (release = r)) };
    try {
      const got = await receiveUpdate({
        source: req.iterator({ destroyOnReturn: false }),
        expected: this.model.manifest,
        dir: this.opts.workDir,
        fileName: UPDATE_FILE,
        maxBytes: this.maxUpdateBytes,
      });
      const result: RoundResult = {
        updatePath: got.path,
        examples,
        metrics: this.metrics(),
        digest: got.digest,
        bytes: got.bytes,
      };
      if (this.state !== 'uploading') return; // closed while the last bytes were written
      await this.persist(result);
      this.finish(result);
      this.log.info('update accepted', {
        roundId: this.opts.roundId,
        bytes: got.bytes,
        examples,
        digest: got.digest,
      });
      sendJson(res, 200, { digest: got.digest, bytes: got.bytes, examples });
    } catch (e) {
      if (this.state === 'uploading') this.state = 'open';
      if (!(e instanceof UpdateRejected)) throw e;
      this.log.warn('update rejected', { roundId: this.opts.roundId, status: e.status, reason: e.message });
      rejectUpload(req, res, e);
    } finally {
      this.upload = undefined;
      release();
    }
  }

  async close(reason = 'round closed'): Promise<void> {
    const wasPending = this.state === 'open' || this.state === 'uploading';
    const upload = this.upload;
    this.state = 'closed';
    if (upload) {
      upload.req.destroy(new RoundClosedError(reason));
      await upload.done;
    }
    if (wasPending) this.settle.reject(new RoundClosedError(reason));
  }

  private finish(result: RoundResult): void {
    this.state = 'done';
    this.metricsValue = { ...result.metrics };
    this.settle.resolve(result);
  }

  /** result.json is the commit record: written (atomically) only after the update is in place. */
  private async persist(result: RoundResult): Promise<void> {
    const tmp = join(this.opts.workDir, `.result-${randomBytes(6).toString('hex')}.partial`);
    await writeFile(tmp, JSON.stringify({ roundId: this.opts.roundId, ...result }), { mode: 0o600 });
    await rename(tmp, join(this.opts.workDir, RESULT_FILE));
  }

  private requireOpen(what: string): void {
    if (this.state === 'open') return;
    const why: Record<Exclude<State, 'open'>, string> = {
      uploading: 'an update upload is in progress',
      done: 'an update was already accepted for this round',
      failed: 'the trainer already reported failure for this round',
      closed: 'the round has ended',
    };
    throw new HttpError(409, `${what}: ${why[this.state]}`);
  }
}

/**
 * Answer a refused upload. A 400 drains the rest of the (size-bounded) body so the client
 * reads the reason; a 413 closes the connection instead of reading an oversized body.
 */
function rejectUpload(req: IncomingMessage, res: ServerResponse, e: UpdateRejected): void {
  if (e.status === 413) {
    res.on('finish', () => req.socket.destroy());
    sendError(res, 413, e.message, { Connection: 'close' });
    return;
  }
  req.resume();
  sendError(res, e.status, e.message);
}
