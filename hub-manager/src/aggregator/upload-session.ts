/**
 * One client's upload for one round, possibly spread over several connections.
 *
 * Why spill to disk: a chunk can only be trusted once the whole update is verified (its
 * SHA-256 is known only at the end, and a later chunk may hold a NaN). Folding chunks into the
 * round accumulator as they arrive would half-apply an update that turns out bad, and float
 * arithmetic cannot subtract it back exactly. So each upload streams to its own file in the
 * storage dir while it is checked on the fly (manifest against the global model, declared
 * size, finite values, running digest); only a fully verified file is folded into the
 * accumulator, in one streaming pass (accumulator.ts). Memory stays one accumulator plus a
 * chunk per connection whatever the number of clients; a bad update costs disk, never the model.
 *
 * Ranged streams (parallel byte ranges, proto/README.md) write their bytes at their offsets;
 * bytes that arrive in file order are checked on the fly, the rest in one pass over the spill
 * file once every byte is present (finish), still before anything is folded.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { MAX_HEADER_BYTES, parseManifest, type Manifest } from '@ocm-fl/common/model/safetensors.js';
import { fail } from '@ocm-fl/common/dataplane/errors.js';
import { firstNonFinite, TensorStream } from '@ocm-fl/common/dataplane/tensor-stream.js';

export interface UploadDeclaration {
  readonly round: number;
  readonly examples: number;
  readonly size: number;
  readonly sha256: string;
  readonly metrics: Readonly<Record<string, number>>;
}

export interface HeldRange {
  readonly begin: number;
  readonly end: number;
}

/** Bytes verified at a time when the tail of a ranged upload is checked from the spill file. */
const VERIFY_READ_BYTES = 4 << 20;

export class UploadSession {
  /** Byte ranges written to the spill file, sorted and merged. */
  private held: Array<[number, number]> = [];
  /** Bytes [0, verified) were checked and hashed in order as they arrived. */
  private verified = 0;
  private readonly hash: Hash = createHash('sha256');
  private prefix: Buffer[] = [];
  private prefixLen = 0;
  private walker: TensorStream | undefined;
  private manifestOfUpdate: Manifest | undefined;
  private fh: Promise<FileHandle> | undefined;
  private dead = false;
  /** Token of the single stream currently writing; a newer one takes over (0 = ranged streams). */
  owner = 0;
  /** Set once a stream found every byte present and started the final checks. */
  committing = false;
  private lock: Promise<void> = Promise.resolve();

  constructor(
    readonly cluster: string,
    readonly decl: UploadDeclaration,
    readonly spillPath: string,
    private readonly global: Manifest,
    private readonly globalSize: number,
  ) {}

  /** End of the held bytes starting at 0: where a single-stream upload resumes. */
  get offset(): number {
    const first = this.held[0];
    return first && first[0] === 0 ? first[1] : 0;
  }
  /** Bytes held in total. */
  get received(): number {
    return this.held.reduce((n, [b, e]) => n + e - b, 0);
  }
  get heldRanges(): HeldRange[] {
    return this.held.map(([begin, end]) => ({ begin, end }));
  }
  get complete(): boolean {
    return this.offset === this.decl.size;
  }
  get updateManifest(): Manifest {
    if (!this.manifestOfUpdate) throw new Error('upload has no manifest yet');
    return this.manifestOfUpdate;
  }

  /** Check the declaration alone, before any byte is taken. */
  static checkDeclaration(d: UploadDeclaration, globalSize: number, maxBytes: number): void {
    if (!(d.examples > 0) || !Number.isSafeInteger(d.examples))
      throw fail('INVALID_ARGUMENT', 'examples must be a positive integer');
    if (!/^[0-9a-f]{64}$/.test(d.sha256))
      throw fail('INVALID_ARGUMENT', 'sha256 must be 64 lowercase hex digits');
    if (d.size > maxBytes)
      throw fail('INVALID_ARGUMENT', `update of ${d.size} bytes exceeds the limit of ${maxBytes}`);
    if (d.size < 8)
      throw fail('INVALID_ARGUMENT', `update of ${d.size} bytes is too small to be safetensors`);
    // Data bytes must equal the global model's; the header may differ only in metadata/padding.
    if (d.size > globalSize + MAX_HEADER_BYTES)
      throw fail('INVALID_ARGUMENT', 'update is larger than the global model allows');
    for (const [k, v] of Object.entries(d.metrics))
      if (!Number.isFinite(v)) throw fail('INVALID_ARGUMENT', `metric ${k} is not finite`);
  }

  /**
   * Serialise writers. `token` ≠ 0: the single stream that owns the upload, writing in order;
   * 0: a ranged stream, whose bytes may land anywhere not yet held.
   */
  async write(token: number, offset: number, data: Buffer): Promise<void> {
    const run = this.lock.then(() => this.writeLocked(token, offset, data));
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Wait for pending writes, then hand the upload to stream `token`. */
  async takeOver(token: number): Promise<void> {
    await this.lock;
    this.owner = token;
  }

  private async writeLocked(token: number, offset: number, data: Buffer): Promise<void> {
    if (this.dead) throw fail('ABORTED', 'this upload was discarded; start again');
    if (this.committing) throw fail('FAILED_PRECONDITION', 'the upload is complete and being checked');
    if (token !== 0 && token !== this.owner) throw fail('ABORTED', 'a newer stream took over this upload');
    if (token !== 0 && offset !== this.offset)
      throw fail('OUT_OF_RANGE', `chunk at offset ${offset}, expected ${this.offset}`);
    const end = offset + data.length;
    if (end > this.decl.size)
      throw fail('INVALID_ARGUMENT', `more than the declared ${this.decl.size} bytes`);
    if (this.held.some(([b, e]) => offset < e && b < end))
      throw fail('OUT_OF_RANGE', `bytes [${offset}, ${end}) overlap bytes already held`);
    const inOrder = offset === this.verified;
    if (inOrder) this.checkBytes(data);
    this.fh ??= open(this.spillPath, 'w+');
    const fh = await this.fh;
    await fh.write(data, 0, data.length, offset);
    if (inOrder) {
      this.hash.update(data);
      this.verified = end;
    }
    this.addHeld(offset, end);
  }

  private addHeld(begin: number, end: number): void {
    const all = [...this.held, [begin, end] as [number, number]].sort((x, y) => x[0] - y[0]);
    const merged: Array<[number, number]> = [];
    for (const r of all) {
      const last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    this.held = merged;
  }

  /** Validate bytes before they are accepted: header against the global manifest, then values. */
  private checkBytes(data: Uint8Array): void {
    if (!this.walker) {
      this.prefix.push(Buffer.from(data)); // a copy: callers may reuse their buffer
      this.prefixLen += data.length;
      const buf = Buffer.concat(this.prefix);
      if (buf.length < 8) return;
      const n = Number(buf.readBigUInt64LE(0));
      if (n > MAX_HEADER_BYTES)
        throw fail('INVALID_ARGUMENT', `safetensors header of ${n} bytes is too large`);
      if (8 + n > this.decl.size)
        throw fail(
          'INVALID_ARGUMENT',
          `safetensors header of ${n} bytes runs past the end of the ${this.decl.size}-byte update`,
        );
      if (buf.length < 8 + n) return;
      let m: Manifest;
      try {
        m = parseManifest(buf);
      } catch (e) {
        throw fail('INVALID_ARGUMENT', `not a valid safetensors file: ${(e as Error).message}`, e);
      }
      this.checkManifest(m);
      this.manifestOfUpdate = m;
      this.walker = new TensorStream(m, (index, values, t) => {
        const bad = firstNonFinite(values);
        if (bad >= 0)
          throw fail('INVALID_ARGUMENT', `tensor ${t.name} holds a non-finite value (${values[bad]})`);
      });
      this.prefix = [];
      this.walker.push(buf);
      return;
    }
    this.walker.push(data);
  }

  private checkManifest(m: Manifest): void {
    const g = this.global;
    if (m.tensors.length !== g.tensors.length)
      throw fail(
        'INVALID_ARGUMENT',
        `update has ${m.tensors.length} tensors, the global model ${g.tensors.length}`,
      );
    const byName = new Map(m.tensors.map((t) => [t.name, t]));
    for (const gt of g.tensors) {
      const t = byName.get(gt.name);
      if (!t) throw fail('INVALID_ARGUMENT', `update lacks tensor ${gt.name}`);
      if (t.dtype !== gt.dtype)
        throw fail('INVALID_ARGUMENT', `tensor ${gt.name}: dtype ${t.dtype}, global model has ${gt.dtype}`);
      if (t.shape.join(',') !== gt.shape.join(','))
        throw fail(
          'INVALID_ARGUMENT',
          `tensor ${gt.name}: shape [${t.shape}], global model has [${gt.shape}]`,
        );
      if (t.begin !== gt.begin)
        throw fail(
          'INVALID_ARGUMENT',
          `tensor ${gt.name}: stored in a different order than the global model`,
        );
    }
    if (m.dataStart + m.dataBytes !== this.decl.size)
      throw fail(
        'INVALID_ARGUMENT',
        `declared size ${this.decl.size} but the manifest describes ${m.dataStart + m.dataBytes} bytes`,
      );
    void this.globalSize;
  }

  /**
   * After the last byte: bytes that arrived out of order (ranged streams) are checked from the
   * spill file now, in one pass; then the digest must match the declaration.
   */
  async finish(): Promise<void> {
    await this.lock;
    if (!this.complete)
      throw fail('INVALID_ARGUMENT', `upload holds ${this.received} of ${this.decl.size} bytes`);
    if (this.verified < this.decl.size) {
      const fh = await (this.fh ??= open(this.spillPath, 'w+'));
      const buf = new Uint8Array(Math.min(VERIFY_READ_BYTES, this.decl.size - this.verified));
      while (this.verified < this.decl.size) {
        const want = Math.min(buf.length, this.decl.size - this.verified);
        const { bytesRead } = await fh.read(buf, 0, want, this.verified);
        if (bytesRead === 0) throw new Error(`spill file ${this.spillPath} is shorter than its upload`);
        const part = buf.subarray(0, bytesRead);
        this.checkBytes(part);
        this.hash.update(part);
        this.verified += bytesRead;
      }
    }
    // Every byte was checked, so a file whose header never completed is malformed, not ours to fail on.
    if (!this.manifestOfUpdate)
      throw fail('INVALID_ARGUMENT', 'not a valid safetensors file: the header does not fit in the update');
    const digest = this.hash.copy().digest('hex');
    if (digest !== this.decl.sha256)
      throw fail('INVALID_ARGUMENT', `update digest ${digest} does not match declared ${this.decl.sha256}`);
    await (await this.fh)?.close();
    this.fh = undefined;
  }

  async discard(): Promise<void> {
    this.dead = true;
    await this.lock.catch(() => undefined);
    const fh = this.fh;
    this.fh = undefined;
    await (await fh?.catch(() => undefined))?.close().catch(() => undefined);
    await rm(this.spillPath, { force: true });
  }
}
