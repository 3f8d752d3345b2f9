/**
 * The data-plane client the spoke agent uses: join a job, read the task, download the global
 * model and upload an update, both resumable across broken connections and verified by SHA-256.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { MAX_CHUNK_BYTES } from '@ocm-fl/proto/load.js';
import type { DownloadModelResponse__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/DownloadModelResponse.js';
import type { JoinResponse__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/JoinResponse.js';
import type { HeartbeatResponse__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/HeartbeatResponse.js';
import type { GetUploadOffsetRequest } from '@ocm-fl/proto/generated/federatedlearning/v1/GetUploadOffsetRequest.js';
import type { GetUploadOffsetResponse__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/GetUploadOffsetResponse.js';
import type { Task__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/Task.js';
import type { UploadUpdateRequest } from '@ocm-fl/proto/generated/federatedlearning/v1/UploadUpdateRequest.js';
import type { UploadUpdateResponse__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/UploadUpdateResponse.js';
import type { FailureReason } from '@ocm-fl/proto/generated/federatedlearning/v1/FailureReason.js';
import { AggregatorChannel, type TlsMaterial, type TlsSource } from './grpc-client.js';
import { DataPlaneError, fail } from './errors.js';
import { commitFile, fsyncDir, sha256File } from './file-io.js';
import { withRetry, type RetryOptions } from './backoff.js';
import { downloadRanges, uploadRanges, type RangedDeps } from './ranged-transfer.js';

export type Task = Task__Output;
export type JoinResult = JoinResponse__Output;
export type { TlsMaterial, TlsSource };
export type FailureReasonName = Exclude<FailureReason, number>;

export interface ConnectOptions {
  /** host:port of the aggregator. */
  readonly endpoint: string;
  readonly serverName?: string;
  /** Client certificate, key and CA bundle; a function is re-read for every new connection. */
  readonly tls: TlsMaterial | TlsSource;
  /** Job to talk about; empty = whatever job the aggregator serves. */
  readonly jobId?: string;
  readonly logger?: Logger;
  /** Retry policy for UNAVAILABLE and friends (exponential backoff with jitter). */
  readonly retry?: Omit<RetryOptions, 'signal'>;
  /** Cancel a stream when nothing moved for this long (default 60 s). */
  readonly idleTimeoutMs?: number;
  /**
   * Split transfers into byte ranges streamed in parallel, each on its own connection, when the
   * aggregator supports it (JoinResponse.max_parallel_streams > 1). `streams` caps the number
   * (default DEFAULT_PARALLEL_STREAMS, 1 = always one stream); files under `minBytes` (default
   * 16 MiB) use one stream.
   */
  readonly parallel?: { readonly streams?: number; readonly minBytes?: number };
}

export interface TransferOptions {
  readonly signal?: AbortSignal;
}

export interface GetTaskOptions extends TransferOptions {
  /**
   * Long poll: let the aggregator hold the reply up to `seconds` until there is something to do
   * after round `afterRound` (GetTaskRequest.wait_seconds). An older aggregator answers at once.
   */
  readonly wait?: { readonly afterRound: number; readonly seconds: number };
}

export interface UploadOptions extends TransferOptions {
  /**
   * SHA-256 (hex, optionally `sha256:`-prefixed) of the file when the caller already has it,
   * e.g. computed while the trainer handed the update over: saves reading and hashing the whole
   * file again before the first byte moves. A wrong digest only costs a refusal: the aggregator
   * checks the bytes it received against it before the update counts.
   */
  readonly sha256?: string;
}

export interface DownloadResult {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly round: number;
  /** Connections used (1 + resumes). */
  readonly attempts: number;
}

export interface UploadResult extends UploadUpdateResponse__Output {
  readonly attempts: number;
}

export interface DataPlaneClient {
  join(opts?: TransferOptions): Promise<JoinResult>;
  heartbeat(round: number, state: string, opts?: TransferOptions): Promise<HeartbeatResponse__Output>;
  getTask(opts?: GetTaskOptions): Promise<Task>;
  /** Download the input model of `round` (0 = current) to `destPath`, resuming a partial file. */
  downloadModel(round: number, destPath: string, opts?: TransferOptions): Promise<DownloadResult>;
  /** Upload the update at `filePath` for `round`, resuming from the offset the hub confirms. */
  uploadUpdate(
    round: number,
    filePath: string,
    examples: number,
    metrics: Record<string, number>,
    opts?: UploadOptions,
  ): Promise<UploadResult>;
  reportMetrics(round: number, metrics: Record<string, number>, opts?: TransferOptions): Promise<void>;
  reportFailure(
    round: number,
    reason: FailureReasonName,
    message: string,
    opts?: TransferOptions,
  ): Promise<void>;
  close(): void;
}

/**
 * Ranged streams per transfer unless configured. Two, not the protocol's maximum: every extra
 * concurrent upload stream costs the hub a few MiB of buffers (measured: with 4 clients
 * uploading at once, 4 streams each pushed the aggregator's peak RSS past 1.5 × model + 150 MB,
 * 2 streams each stayed under it), and on a CPU-bound link more streams do not add speed.
 */
export const DEFAULT_PARALLEL_STREAMS = 2;

export function connect(options: ConnectOptions): DataPlaneClient {
  return new Client(options);
}

interface PartialMeta {
  readonly sha256: string;
  readonly size: number;
  readonly round: number;
}

class Client implements DataPlaneClient {
  private readonly ch: AggregatorChannel;
  private readonly log: Logger;
  private readonly jobId: string;
  /** Extra connections for ranged transfers (lane 0 is `ch`). */
  private readonly lanes: AggregatorChannel[] = [];
  private joined: Promise<JoinResult> | undefined;

  constructor(private readonly o: ConnectOptions) {
    this.ch = new AggregatorChannel({
      endpoint: o.endpoint,
      tls: o.tls,
      ...(o.serverName ? { serverName: o.serverName } : {}),
    });
    this.log = o.logger ?? silentLogger;
    this.jobId = o.jobId ?? '';
  }

  private retry<T>(what: string, fn: (attempt: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(fn, {
      ...this.o.retry,
      ...(signal ? { signal } : {}),
      onRetry: (attempt, e, delayMs) =>
        this.log.warn(`${what} failed, retrying`, { attempt, status: e.status, error: e.message, delayMs }),
    });
  }

  join(opts: TransferOptions = {}): Promise<JoinResult> {
    const p = this.retry<JoinResult>(
      'join',
      () => this.ch.unary((c) => c.join, { jobId: this.jobId, agentVersion: '0.1.0' }, opts),
      opts.signal,
    );
    this.joined = p;
    p.catch(() => (this.joined === p ? (this.joined = undefined) : undefined));
    return p;
  }

  /** Streams to use for a transfer of `size` bytes: 1 unless both sides allow more. */
  private async streamsFor(size: number, signal?: AbortSignal): Promise<number> {
    const want = this.o.parallel?.streams ?? DEFAULT_PARALLEL_STREAMS;
    if (want <= 1 || size < (this.o.parallel?.minBytes ?? 16 * MAX_CHUNK_BYTES)) return 1;
    const j = await (this.joined ?? this.join(signal ? { signal } : {}));
    return Math.max(1, Math.min(want, j.maxParallelStreams));
  }

  private lane(i: number): AggregatorChannel {
    if (i === 0) return this.ch;
    while (this.lanes.length < i)
      this.lanes.push(
        new AggregatorChannel({
          endpoint: this.o.endpoint,
          tls: this.o.tls,
          ownConnection: true,
          ...(this.o.serverName ? { serverName: this.o.serverName } : {}),
        }),
      );
    return this.lanes[i - 1] as AggregatorChannel;
  }

  private rangedDeps(streams: number, signal?: AbortSignal): RangedDeps {
    return {
      lane: (i) => this.lane(i),
      jobId: this.jobId,
      streams,
      callOpts: {
        ...(signal ? { signal } : {}),
        ...(this.o.idleTimeoutMs ? { idleTimeoutMs: this.o.idleTimeoutMs } : {}),
      },
    };
  }

  heartbeat(round: number, state: string, opts: TransferOptions = {}): Promise<HeartbeatResponse__Output> {
    return this.retry(
      'heartbeat',
      () => this.ch.unary((c) => c.heartbeat, { jobId: this.jobId, round, state }, opts),
      opts.signal,
    );
  }

  getTask(opts: GetTaskOptions = {}): Promise<Task> {
    const req = {
      jobId: this.jobId,
      ...(opts.wait ? { waitSeconds: opts.wait.seconds, waitAfterRound: opts.wait.afterRound } : {}),
    };
    // A held call needs a deadline past the wait; the usual one otherwise.
    const callOpts = opts.wait ? { ...opts, timeoutMs: opts.wait.seconds * 1000 + 15_000 } : opts;
    return this.retry('getTask', () => this.ch.unary((c) => c.getTask, req, callOpts), opts.signal);
  }

  async reportMetrics(
    round: number,
    metrics: Record<string, number>,
    opts: TransferOptions = {},
  ): Promise<void> {
    await this.retry(
      'reportMetrics',
      () => this.ch.unary((c) => c.reportMetrics, { jobId: this.jobId, round, metrics }, opts),
      opts.signal,
    );
  }

  async reportFailure(
    round: number,
    reason: FailureReasonName,
    message: string,
    opts: TransferOptions = {},
  ): Promise<void> {
    await this.retry(
      'reportFailure',
      () => this.ch.unary((c) => c.reportFailure, { jobId: this.jobId, round, reason, message }, opts),
      opts.signal,
    );
  }

  close(): void {
    this.ch.close();
    for (const l of this.lanes) l.close();
  }

  async downloadModel(round: number, destPath: string, opts: TransferOptions = {}): Promise<DownloadResult> {
    await mkdir(path.dirname(destPath), { recursive: true });
    let attempts = 0;
    // The model's size is known only from the aggregator; a task's model info gives it cheaply.
    const size = this.o.parallel?.minBytes === 0 ? Infinity : ((await this.modelSize(round, opts)) ?? 0);
    const streams = await this.streamsFor(size, opts.signal);
    return this.retry(
      'downloadModel',
      async () => {
        attempts++;
        const r =
          streams > 1
            ? await this.downloadRangedOnce(round, destPath, streams, opts.signal)
            : await this.downloadOnce(round, destPath, opts.signal);
        return { ...r, attempts };
      },
      opts.signal,
    );
  }

  /** Size of the model `round` downloads, when the task names it (current model only). */
  private async modelSize(round: number, opts: TransferOptions): Promise<number | undefined> {
    try {
      const t = await this.getTask(opts);
      return round === 0 || t.round === round ? t.model?.size : undefined;
    } catch {
      return undefined; // fall back to one stream; the download reports its own errors
    }
  }

  /** One attempt of a ranged download; the partial file and its progress survive a failure. */
  private async downloadRangedOnce(
    round: number,
    dest: string,
    streams: number,
    signal?: AbortSignal,
  ): Promise<Omit<DownloadResult, 'attempts'>> {
    const partial = `${dest}.partial`;
    const metaPath = `${partial}.json`;
    const meta = await downloadRanges(this.rangedDeps(streams, signal), round, partial, metaPath);
    const digest = await sha256File(partial, meta.size);
    if (digest !== meta.sha256) {
      await rm(partial, { force: true });
      await rm(metaPath, { force: true });
      throw fail('DATA_LOSS', `downloaded model digest ${digest} does not match announced ${meta.sha256}`);
    }
    await commitFile(partial, dest);
    await rm(metaPath, { force: true });
    await fsyncDir(path.dirname(dest));
    return { path: dest, size: meta.size, sha256: digest, round: meta.round };
  }

  /** One connection's worth of download: continue `dest.partial` if it belongs to the same model. */
  private async downloadOnce(
    round: number,
    dest: string,
    signal?: AbortSignal,
  ): Promise<Omit<DownloadResult, 'attempts'>> {
    const partial = `${dest}.partial`;
    const metaPath = `${partial}.json`;
    let meta = await readMeta(metaPath);
    let offset = meta ? await fileSize(partial) : 0;
    if (meta && meta.round !== round && round !== 0) meta = undefined;
    if (!meta) {
      await rm(partial, { force: true });
      offset = 0;
    }
    const req = { jobId: this.jobId, round, offset, expectedSha256: meta?.sha256 ?? '' };
    let hash: Hash | undefined;
    const fh = await open(partial, offset > 0 ? 'r+' : 'w');
    try {
      for await (const msg of this.ch.serverStream<typeof req, DownloadModelResponse__Output>(
        (c) => c.downloadModel,
        req,
        {
          ...(signal ? { signal } : {}),
          ...(this.o.idleTimeoutMs ? { idleTimeoutMs: this.o.idleTimeoutMs } : {}),
        },
      )) {
        if (msg.header) {
          meta = { sha256: msg.header.sha256, size: msg.header.size, round: msg.header.round };
          await writeFile(metaPath, JSON.stringify(meta));
          hash = await hashPrefix(partial, offset);
          continue;
        }
        const chunk = msg.chunk;
        if (!chunk || !hash || !meta)
          throw fail('DATA_LOSS', 'download stream sent a chunk before its header');
        if (chunk.offset !== offset)
          throw fail('DATA_LOSS', `chunk at offset ${chunk.offset}, expected ${offset}`);
        await fh.write(chunk.data, 0, chunk.data.length, offset);
        hash.update(chunk.data);
        offset += chunk.data.length;
      }
    } catch (e) {
      // A digest mismatch on resume means the hub moved on: start the next attempt from zero.
      if (DataPlaneError.is(e, 'FAILED_PRECONDITION') && req.expectedSha256)
        await rm(metaPath, { force: true });
      throw e;
    } finally {
      await fh.close();
    }
    if (!meta || !hash) throw fail('DATA_LOSS', 'download stream ended without a header');
    if (offset !== meta.size) throw fail('UNAVAILABLE', `download ended at ${offset} of ${meta.size} bytes`);
    const digest = hash.digest('hex');
    if (digest !== meta.sha256) {
      await rm(partial, { force: true });
      await rm(metaPath, { force: true });
      throw fail('DATA_LOSS', `downloaded model digest ${digest} does not match announced ${meta.sha256}`);
    }
    await commitFile(partial, dest);
    await rm(metaPath, { force: true });
    await fsyncDir(path.dirname(dest));
    return { path: dest, size: meta.size, sha256: digest, round: meta.round };
  }

  async uploadUpdate(
    round: number,
    filePath: string,
    examples: number,
    metrics: Record<string, number>,
    opts: UploadOptions = {},
  ): Promise<UploadResult> {
    const size = await fileSize(filePath);
    const given = /^(?:sha256:)?([0-9a-f]{64})$/.exec(opts.sha256 ?? '')?.[1];
    const sha256 = given ?? (await sha256File(filePath));
    const streams = await this.streamsFor(size, opts.signal);
    let attempts = 0;
    return this.retry(
      'uploadUpdate',
      async () => {
        attempts++;
        if (streams > 1) {
          const header = { jobId: this.jobId, round, examples, size, sha256, metrics };
          const res = await uploadRanges(this.rangedDeps(streams, opts.signal), filePath, header);
          return { ...res, attempts };
        }
        const status = await this.ch.unary<GetUploadOffsetRequest, GetUploadOffsetResponse__Output>(
          (c) => c.getUploadOffset,
          { jobId: this.jobId, round, sha256 },
          opts,
        );
        if (status.complete) return { round, receivedBytes: size, sha256, committed: true, attempts };
        const header = { jobId: this.jobId, round, examples, size, sha256, offset: status.offset, metrics };
        const res = await this.ch.clientStream<UploadUpdateRequest, UploadUpdateResponse__Output>(
          (c) => c.uploadUpdate,
          uploadMessages(filePath, header),
          {
            ...(opts.signal ? { signal: opts.signal } : {}),
            ...(this.o.idleTimeoutMs ? { idleTimeoutMs: this.o.idleTimeoutMs } : {}),
          },
        );
        return { ...res, attempts };
      },
      opts.signal,
    );
  }
}

async function* uploadMessages(
  file: string,
  header: NonNullable<UploadUpdateRequest['header']> & { offset: number },
): AsyncGenerator<UploadUpdateRequest> {
  yield { header };
  let offset = header.offset;
  if (offset >= (header.size as number)) return;
  for await (const data of createReadStream(file, { start: offset, highWaterMark: MAX_CHUNK_BYTES })) {
    const buf = data as Buffer;
    yield { chunk: { offset, data: buf } };
    offset += buf.length;
  }
}

async function readMeta(p: string): Promise<PartialMeta | undefined> {
  try {
    const m = JSON.parse(await readFile(p, 'utf8')) as PartialMeta;
    return typeof m.sha256 === 'string' && typeof m.size === 'number' ? m : undefined;
  } catch {
    return undefined;
  }
}

async function fileSize(p: string): Promise<number> {
  try {
    return (await stat(p)).size;
  } catch {
    return 0;
  }
}

/** SHA-256 state after the first `n` bytes of `file`, to continue hashing a resumed download. */
async function hashPrefix(file: string, n: number): Promise<Hash> {
  const h = createHash('sha256');
  if (n === 0) return h;
  for await (const c of createReadStream(file, { start: 0, end: n - 1, highWaterMark: 1 << 20 }))
    h.update(c as Buffer);
  return h;
}
