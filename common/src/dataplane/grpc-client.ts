/**
 * The client side's only contact with @grpc/grpc-js: builds an mTLS channel to the aggregator and
 * turns calls into Promises / AsyncIterables with AbortSignal support, a deadline on every unary
 * call, an idle watchdog on streams, and every failure converted to DataPlaneError.
 */
import * as grpc from '@grpc/grpc-js';
import { loadAggregatorProto } from '@ocm-fl/proto/load.js';
import type { AggregatorClient } from '@ocm-fl/proto/generated/federatedlearning/v1/Aggregator.js';
import { DataPlaneError, Status, type StatusCode } from './errors.js';

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** CA bundle that signed the aggregator's serving certificate. */
  readonly ca: Buffer;
}

/** Current credentials; called before each call so a rotated certificate is picked up. */
export type TlsSource = () => TlsMaterial;

export interface ChannelOptions {
  /** host:port of the aggregator. */
  readonly endpoint: string;
  /** Name to verify the server certificate against, when it differs from the endpoint host. */
  readonly serverName?: string;
  readonly tls: TlsSource | TlsMaterial;
  /** HTTP/2 receive window for downloads (grpc-node.flow_control_window); default 16 MiB. */
  readonly flowControlWindow?: number;
  /**
   * Give this channel its own connection instead of sharing one with every channel to the same
   * target and options (grpc.use_local_subchannel_pool: a private subchannel pool per channel).
   */
  readonly ownConnection?: boolean;
}

export interface CallOpts {
  readonly signal?: AbortSignal;
  /** Unary calls only; default 15 s. */
  readonly timeoutMs?: number;
  /** Streams only: cancel when no message moved for this long; default 60 s. */
  readonly idleTimeoutMs?: number;
}

const DEFAULT_UNARY_TIMEOUT_MS = 15_000;
const DEFAULT_IDLE_MS = 60_000;

export function toDataPlaneError(e: unknown): DataPlaneError {
  if (e instanceof DataPlaneError) return e;
  const se = e as Partial<grpc.ServiceError>;
  if (typeof se?.code === 'number')
    return new DataPlaneError(se.code as StatusCode, se.details || se.message || 'error', { cause: e });
  return new DataPlaneError(Status.UNKNOWN, e instanceof Error ? e.message : String(e), { cause: e });
}

type UnaryMethod<Req, Res> = (
  req: Req,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;

/** One channel to one aggregator; recreated transparently when the TLS material changes. */
export class AggregatorChannel {
  private client: AggregatorClient | undefined;
  private material: TlsMaterial | undefined;

  constructor(private readonly opts: ChannelOptions) {}

  private stub(): AggregatorClient {
    const m = typeof this.opts.tls === 'function' ? this.opts.tls() : this.opts.tls;
    const same =
      this.material &&
      m.cert.equals(this.material.cert) &&
      m.key.equals(this.material.key) &&
      m.ca.equals(this.material.ca);
    if (!this.client || !same) {
      // Calls in flight on the old channel finish on it; new calls use the new certificate.
      this.client?.close();
      const Ctor = loadAggregatorProto().federatedlearning.v1.Aggregator;
      const creds = grpc.credentials.createSsl(m.ca, m.key, m.cert);
      this.client = new Ctor(this.opts.endpoint, creds, {
        ...(this.opts.serverName ? { 'grpc.ssl_target_name_override': this.opts.serverName } : {}),
        'grpc-node.flow_control_window': this.opts.flowControlWindow ?? 16 * 1024 * 1024,
        ...(this.opts.ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {}),
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
        'grpc.max_receive_message_length': 4 * 1024 * 1024,
        'grpc.initial_reconnect_backoff_ms': 200,
        'grpc.max_reconnect_backoff_ms': 5_000,
      });
      this.material = m;
    }
    return this.client;
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  /** A unary call with a deadline; rejects with DataPlaneError. */
  unary<Req, Res>(
    pick: (c: AggregatorClient) => UnaryMethod<Req, Res>,
    req: Req,
    opts: CallOpts = {},
  ): Promise<Res> {
    const c = this.stub();
    const method = pick(c).bind(c) as UnaryMethod<Req, Res>;
    return new Promise<Res>((resolve, reject) => {
      if (opts.signal?.aborted) return reject(abortError(opts.signal));
      const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_UNARY_TIMEOUT_MS);
      const call = method(req, new grpc.Metadata(), { deadline }, (err, res) => {
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) reject(toDataPlaneError(err));
        else resolve(res as Res);
      });
      const onAbort = (): void => call.cancel();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A server stream as an AsyncIterable; ends cleanly or throws DataPlaneError. */
  async *serverStream<Req, Res>(
    pick: (c: AggregatorClient) => (req: Req, opts?: grpc.CallOptions) => grpc.ClientReadableStream<Res>,
    req: Req,
    opts: CallOpts = {},
  ): AsyncGenerator<Res> {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const c = this.stub();
    const call = pick(c).call(c, req, {});
    const dog = watchdog(() => call.cancel(), opts.idleTimeoutMs ?? DEFAULT_IDLE_MS);
    const onAbort = (): void => call.cancel();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const msg of call) {
        dog.kick();
        yield msg as Res;
      }
    } catch (e) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      if (dog.fired)
        throw new DataPlaneError(Status.UNAVAILABLE, 'stream idle too long; cancelled by watchdog', {
          cause: e,
        });
      throw toDataPlaneError(e);
    } finally {
      dog.stop();
      opts.signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  /** A client stream fed from `source`, honouring HTTP/2 back-pressure; resolves with the reply. */
  async clientStream<Req, Res>(
    pick: (
      c: AggregatorClient,
    ) => (cb: (err: grpc.ServiceError | null, res?: Res) => void) => grpc.ClientWritableStream<Req>,
    source: AsyncIterable<Req>,
    opts: CallOpts = {},
  ): Promise<Res> {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const c = this.stub();
    let call!: grpc.ClientWritableStream<Req>;
    const reply = new Promise<Res>((resolve, reject) => {
      call = pick(c).call(c, (err, res) => (err ? reject(toDataPlaneError(err)) : resolve(res as Res)));
    });
    reply.catch(() => undefined); // observed below; avoid an unhandled rejection while writing
    const dog = watchdog(() => call.cancel(), opts.idleTimeoutMs ?? DEFAULT_IDLE_MS);
    const onAbort = (): void => call.cancel();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let ended = false;
    const closed = new Promise<void>((r) => call.once('close', () => ((ended = true), r())));
    call.on('error', () => undefined); // the reply promise carries the status
    try {
      for await (const msg of source) {
        if (ended) break;
        if (!call.write(msg)) await Promise.race([new Promise((r) => call.once('drain', r)), closed]);
        dog.kick();
      }
      if (!ended) call.end();
      return await reply;
    } catch (e) {
      call.cancel();
      if (opts.signal?.aborted) throw abortError(opts.signal);
      if (dog.fired)
        throw new DataPlaneError(Status.UNAVAILABLE, 'upload idle too long; cancelled by watchdog', {
          cause: e,
        });
      throw toDataPlaneError(e);
    } finally {
      dog.stop();
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }
}

function abortError(signal: AbortSignal): DataPlaneError {
  return new DataPlaneError(Status.CANCELLED, 'aborted by caller', { cause: signal.reason });
}

function watchdog(onIdle: () => void, ms: number): { kick(): void; stop(): void; readonly fired: boolean } {
  let fired = false;
  let t = setTimeout(fire, ms);
  function fire(): void {
    fired = true;
    onIdle();
  }
  return {
    kick(): void {
      clearTimeout(t);
      t = setTimeout(fire, ms);
    },
    stop(): void {
      clearTimeout(t);
    },
    get fired(): boolean {
      return fired;
    },
  };
}
