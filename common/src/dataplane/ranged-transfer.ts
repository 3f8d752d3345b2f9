/**
 * One attempt of a download or upload split into byte ranges, each streamed on its own
 * connection (see MAX_PARALLEL_STREAMS in proto/load.ts for why). Both write or send their
 * range at its offsets; the whole file's SHA-256 is checked at the end (the client's after a
 * download, the aggregator's before it counts an upload). A failed attempt keeps the ranges
 * that arrived; the caller retries and only the missing bytes move again.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { MAX_CHUNK_BYTES } from '@ocm-fl/proto/load.js';
import type { DownloadModelRequest } from '@ocm-fl/proto/generated/federatedlearning/v1/DownloadModelRequest.js';
import type { DownloadModelResponse__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/DownloadModelResponse.js';
import type { GetUploadOffsetRequest } from '@ocm-fl/proto/generated/federatedlearning/v1/GetUploadOffsetRequest.js';
import type { GetUploadOffsetResponse__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/GetUploadOffsetResponse.js';
import type { UploadHeader } from '@ocm-fl/proto/generated/federatedlearning/v1/UploadHeader.js';
import type { UploadUpdateRequest } from '@ocm-fl/proto/generated/federatedlearning/v1/UploadUpdateRequest.js';
import type { UploadUpdateResponse__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/UploadUpdateResponse.js';
import type { AggregatorChannel, CallOpts } from './grpc-client.js';
import { missingRanges, planRanges, type RangeProgress } from './byte-ranges.js';
import { DataPlaneError, fail } from './errors.js';
import { TRANSIENT } from './backoff.js';

export interface RangedDeps {
  /** Channel `i` of the transfer; each index is its own connection. */
  lane(i: number): AggregatorChannel;
  readonly jobId: string;
  readonly streams: number;
  readonly callOpts: CallOpts;
}

/** `dest.partial.json` of a ranged download: which model, and how far each range got. */
export interface RangedMeta {
  readonly sha256: string;
  readonly size: number;
  readonly round: number;
  readonly ranges: RangeProgress[];
}

/** Save progress every this many bytes per range (and when the attempt ends). */
const SAVE_EVERY = 8 * MAX_CHUNK_BYTES;

export async function readRangedMeta(p: string): Promise<RangedMeta | undefined> {
  try {
    const m = JSON.parse(await readFile(p, 'utf8')) as RangedMeta;
    return typeof m.sha256 === 'string' && typeof m.size === 'number' && Array.isArray(m.ranges)
      ? m
      : undefined;
  } catch {
    return undefined;
  }
}

/** Run `tasks` together; on a non-transient failure cancel the rest; throw the worst error. */
async function allRanges<T>(
  tasks: Array<(signal: AbortSignal) => Promise<T>>,
  outer?: AbortSignal,
): Promise<T[]> {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  try {
    const settled = await Promise.allSettled(
      tasks.map((t) =>
        t(ac.signal).catch((e: unknown) => {
          if (!DataPlaneError.is(e, ...TRANSIENT)) ac.abort(e);
          throw e;
        }),
      ),
    );
    const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    const fatal = errors.find(
      (e) => !DataPlaneError.is(e, ...TRANSIENT) && !DataPlaneError.is(e, 'CANCELLED'),
    );
    if (fatal ?? errors[0]) throw fatal ?? errors[0];
    return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
  } finally {
    outer?.removeEventListener('abort', onAbort);
  }
}

/** Header of the model (size, digest) from a one-byte ranged download. */
async function probeModel(d: RangedDeps, round: number): Promise<RangedMeta> {
  const req: DownloadModelRequest = { jobId: d.jobId, round, offset: 0, end: 1, expectedSha256: '' };
  for await (const msg of d
    .lane(0)
    .serverStream<DownloadModelRequest, DownloadModelResponse__Output>(
      (c) => c.downloadModel,
      req,
      d.callOpts,
    ))
    if (msg.header) {
      const { size, sha256 } = msg.header;
      const ranges = planRanges([{ begin: 0, end: size }], d.streams, MAX_CHUNK_BYTES);
      return { sha256, size, round: msg.header.round, ranges: ranges.map((r) => ({ ...r, next: r.begin })) };
    }
  throw fail('DATA_LOSS', 'download stream ended without a header');
}

/**
 * Fill `partial` with the model's bytes, range by range in parallel, resuming from
 * `metaPath`. Returns the metadata once every range is on disk (digest not yet checked).
 */
export async function downloadRanges(
  d: RangedDeps,
  round: number,
  partial: string,
  metaPath: string,
): Promise<RangedMeta> {
  let meta = await readRangedMeta(metaPath);
  if (meta && round !== 0 && meta.round !== round) meta = undefined;
  if (!meta) {
    await rm(partial, { force: true });
    meta = await probeModel(d, round);
    await (await open(partial, 'w')).close();
  }
  const m = meta;
  let saving = Promise.resolve();
  const save = (): Promise<void> => (saving = saving.then(() => writeFile(metaPath, JSON.stringify(m))));
  await save();
  const fh = await open(partial, 'r+');
  try {
    const open_ = m.ranges.filter((r) => r.next < r.end);
    await allRanges(
      open_.map((r, i) => async (signal) => {
        const req = { jobId: d.jobId, round, offset: r.next, end: r.end, expectedSha256: m.sha256 };
        let unsaved = 0;
        for await (const msg of d
          .lane(i)
          .serverStream<DownloadModelRequest, DownloadModelResponse__Output>((c) => c.downloadModel, req, {
            ...d.callOpts,
            signal,
          })) {
          if (msg.header) continue;
          const c = msg.chunk;
          if (!c) continue;
          if (c.offset !== r.next) throw fail('DATA_LOSS', `chunk at offset ${c.offset}, expected ${r.next}`);
          const data = c.data.subarray(0, r.end - r.next); // an aggregator without ranges sends on
          await fh.write(data, 0, data.length, r.next);
          r.next += data.length;
          unsaved += data.length;
          if (unsaved >= SAVE_EVERY) {
            unsaved = 0;
            void save();
          }
          if (r.next === r.end) break;
        }
        if (r.next !== r.end) throw fail('UNAVAILABLE', `range ended at ${r.next} of ${r.end}`);
      }),
      d.callOpts.signal,
    );
  } catch (e) {
    // A digest mismatch on resume means the hub moved on: start the next attempt from zero.
    if (DataPlaneError.is(e, 'FAILED_PRECONDITION')) await rm(metaPath, { force: true });
    throw e;
  } finally {
    await fh.close();
    await save().catch(() => undefined);
  }
  return m;
}

/**
 * One attempt of a ranged upload: ask what the aggregator holds, send the rest as parallel
 * ranged streams. Resolves with the committing stream's reply.
 */
export async function uploadRanges(
  d: RangedDeps,
  file: string,
  header: Omit<UploadHeader, 'offset' | 'end'> & { size: number; sha256: string; round: number },
): Promise<UploadUpdateResponse__Output> {
  const status = await d
    .lane(0)
    .unary<GetUploadOffsetRequest, GetUploadOffsetResponse__Output>(
      (c) => c.getUploadOffset,
      { jobId: d.jobId, round: header.round, sha256: header.sha256 },
      d.callOpts,
    );
  if (status.complete)
    return { round: header.round, receivedBytes: header.size, sha256: header.sha256, committed: true };
  const held = status.held.length ? status.held : [{ begin: 0, end: status.offset }];
  const pieces = planRanges(missingRanges(header.size, held), d.streams, MAX_CHUNK_BYTES);
  const replies = await allRanges(
    pieces.map(
      (p, i) => (signal) =>
        d
          .lane(i)
          .clientStream<UploadUpdateRequest, UploadUpdateResponse__Output>(
            (c) => c.uploadUpdate,
            rangeMessages(file, { ...header, offset: p.begin, end: p.end }),
            { ...d.callOpts, signal },
          ),
    ),
    d.callOpts.signal,
  );
  const done = replies.find((r) => r.committed);
  // Every range arrived but the committing stream's reply was lost: ask again.
  if (!done) throw fail('ABORTED', 'all ranges sent but no stream reported the update counted');
  return done;
}

async function* rangeMessages(
  file: string,
  header: UploadHeader & { offset: number; end: number },
): AsyncGenerator<UploadUpdateRequest> {
  yield { header };
  let offset = header.offset;
  for await (const data of createReadStream(file, {
    start: offset,
    end: header.end - 1,
    highWaterMark: MAX_CHUNK_BYTES,
  })) {
    const buf = data as Buffer;
    yield { chunk: { offset, data: buf } };
    offset += buf.length;
  }
}
