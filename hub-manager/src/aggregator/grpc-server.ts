/**
 * The aggregator's only contact with @grpc/grpc-js: a hardened mTLS server whose handlers are
 * plain async functions (Promises, AsyncIterables, AbortSignal) given the caller's cluster
 * taken from its certificate, with DataPlaneError mapped to the gRPC status.
 *
 * Hardening: client certificates required and verified against the CA bundle (handshake fails
 * otherwise), TLS 1.2+ with AEAD/ECDHE ciphers only, per-message receive limit, HTTP/2
 * concurrent-stream limit per connection plus a cap per cluster over all connections,
 * server keepalive pings that reap half-open connections, idle-connection reaping.
 * grpc-js 1.14 has no ping-strike enforcement (`grpc.http2.min_ping_interval_without_data_ms`
 * is not read by its server); Node's own `maxOutstandingPings` bounds ping floods instead.
 * TLS material can be replaced while running (`updateTls`): new handshakes use it, open
 * connections keep theirs. TLS renegotiation is refused by Node's HTTP/2 server (RFC 9113 §9.2.1).
 */
import * as grpc from '@grpc/grpc-js';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { SecureServerOptions } from 'node:http2';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { loadAggregatorProto, MAX_CHUNK_BYTES } from '@ocm-fl/proto/load.js';
import type { AggregatorHandlers as GenHandlers } from '@ocm-fl/proto/generated/federatedlearning/v1/Aggregator.js';
import type { JoinRequest__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/JoinRequest.js';
import type { JoinResponse } from '@ocm-fl/proto/generated/federatedlearning/v1/JoinResponse.js';
import type { HeartbeatRequest__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/HeartbeatRequest.js';
import type { HeartbeatResponse } from '@ocm-fl/proto/generated/federatedlearning/v1/HeartbeatResponse.js';
import type { GetTaskRequest__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/GetTaskRequest.js';
import type { Task } from '@ocm-fl/proto/generated/federatedlearning/v1/Task.js';
import type { DownloadModelRequest__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/DownloadModelRequest.js';
import type { DownloadModelResponse } from '@ocm-fl/proto/generated/federatedlearning/v1/DownloadModelResponse.js';
import type { GetUploadOffsetRequest__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/GetUploadOffsetRequest.js';
import type { GetUploadOffsetResponse } from '@ocm-fl/proto/generated/federatedlearning/v1/GetUploadOffsetResponse.js';
import type { UploadUpdateRequest__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/UploadUpdateRequest.js';
import type { UploadUpdateResponse } from '@ocm-fl/proto/generated/federatedlearning/v1/UploadUpdateResponse.js';
import type { ReportMetricsRequest__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/ReportMetricsRequest.js';
import type { ReportMetricsResponse } from '@ocm-fl/proto/generated/federatedlearning/v1/ReportMetricsResponse.js';
import type { ReportFailureRequest__Output } from '@ocm-fl/proto/generated/federatedlearning/v1/ReportFailureRequest.js';
import type { ReportFailureResponse } from '@ocm-fl/proto/generated/federatedlearning/v1/ReportFailureResponse.js';
import { clusterFromCommonName } from '@ocm-fl/common/names.js';
import { DataPlaneError, fail, Status } from '@ocm-fl/common/dataplane/errors.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { ByteBudget, type BudgetLimits, type BudgetStats } from './byte-budget.js';

/** ECDHE + AEAD only for TLS 1.2; TLS 1.3 suites are all strong and stay enabled. */
export const STRONG_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

/**
 * HTTP/2 receive window per stream for uploads. grpc-js exposes `grpc-node.flow_control_window`
 * for channels only; on the server the public ServerCredentials constructor options are passed
 * to http2.createSecureServer, so the SETTINGS frame carries this window (no library patching).
 */
export const UPLOAD_STREAM_WINDOW = 4 * 1024 * 1024;

export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
}

export interface Peer {
  readonly cluster: string;
  readonly address: string;
}

type Unary<Req, Res> = (req: Req, peer: Peer, signal: AbortSignal) => Promise<Res>;
type ServerStream<Req, Res> = (req: Req, peer: Peer, signal: AbortSignal) => AsyncIterable<Res>;
type ClientStream<Req, Res> = (reqs: AsyncIterable<Req>, peer: Peer, signal: AbortSignal) => Promise<Res>;

/** Requests arrive decoded (`__Output` types); replies may use the permissive input types. */
export interface Handlers {
  join: Unary<JoinRequest__Output, JoinResponse>;
  heartbeat: Unary<HeartbeatRequest__Output, HeartbeatResponse>;
  getTask: Unary<GetTaskRequest__Output, Task>;
  downloadModel: ServerStream<DownloadModelRequest__Output, DownloadModelResponse>;
  getUploadOffset: Unary<GetUploadOffsetRequest__Output, GetUploadOffsetResponse>;
  uploadUpdate: ClientStream<UploadUpdateRequest__Output, UploadUpdateResponse>;
  reportMetrics: Unary<ReportMetricsRequest__Output, ReportMetricsResponse>;
  reportFailure: Unary<ReportFailureRequest__Output, ReportFailureResponse>;
}

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: ServerTls;
  readonly handlers: Handlers;
  readonly logger: Logger;
  readonly maxStreamsPerClient: number;
  /** Bytes of outgoing (download) messages held in the process, per cluster and in total. */
  readonly sendBuffer?: BudgetLimits;
}

/** Defaults: a few chunks per cluster, enough for parallel ranged downloads to flow. */
export const DEFAULT_SEND_BUFFER: BudgetLimits = {
  perCluster: 4 * (MAX_CHUNK_BYTES + 64 * 1024),
  total: 64 * 1024 * 1024,
};

export interface TransportStats {
  /** Calls each cluster holds open (a server stream counts until its last byte left or it was cancelled). */
  readonly openCalls: Readonly<Record<string, number>>;
  readonly sendBuffer: BudgetStats;
}

export interface RunningServer {
  readonly port: number;
  stats(): TransportStats;
  /**
   * Serve new connections with this certificate, key and client CA bundle; connections already
   * open keep the material they were set up with. Throws (keeping the current material) if the
   * key does not match the certificate or a PEM does not parse.
   */
  updateTls(tls: ServerTls): void;
  /** Stop accepting, wait for calls in flight (up to `graceMs`), then cut the rest. */
  close(graceMs?: number): Promise<void>;
}

type SurfaceCall =
  | grpc.ServerUnaryCall<unknown, unknown>
  | grpc.ServerReadableStream<unknown, unknown>
  | grpc.ServerWritableStream<unknown, unknown>;

/**
 * Everything the TLS layer negotiates with. It goes in the secure-context options, not the server
 * constructor options: Node's setSecureContext (used on reload) resets ciphers and versions it
 * is not given to the library defaults, which would re-enable CBC suites after a reload.
 */
export function secureContextOptions(tls: ServerTls): SecureContextOptions {
  return {
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    minVersion: 'TLSv1.2',
    ciphers: STRONG_CIPHERS,
    honorCipherOrder: true,
  };
}

/** Throws unless the PEMs parse, the key belongs to the certificate and a context builds. */
export function checkServerTls(tls: ServerTls): void {
  const cert = new X509Certificate(tls.cert);
  if (!cert.checkPrivateKey(createPrivateKey(tls.key)))
    throw new Error(`the private key does not match the certificate ${cert.subject}`);
  // Catches an unreadable CA bundle here: grpc-js would otherwise drop every new connection.
  createSecureContext(secureContextOptions(tls));
}

class HardenedServerCredentials extends grpc.ServerCredentials {
  constructor(tls: ServerTls) {
    const options: SecureServerOptions = {
      // requestCert/rejectUnauthorized are server properties that a context reload leaves alone.
      requestCert: true,
      rejectUnauthorized: true,
      maxOutstandingPings: 4,
      settings: { maxConcurrentStreams: 32, initialWindowSize: UPLOAD_STREAM_WINDOW },
    };
    super(options, secureContextOptions(tls));
  }
  /** grpc-js calls setSecureContext on each listening http2 server with these options. */
  update(tls: ServerTls): void {
    checkServerTls(tls);
    this.updateSecureContextOptions(secureContextOptions(tls));
  }
  override _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': MAX_CHUNK_BYTES + 64 * 1024,
  'grpc.max_send_message_length': MAX_CHUNK_BYTES + 64 * 1024,
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 20_000,
  'grpc.max_connection_idle_ms': 10 * 60_000,
  // No grpc.max_concurrent_streams here: the credentials' settings carry it with the window.
};

/** The cluster from an authenticated call; UNAUTHENTICATED if the certificate names none. */
export function peerOf(call: SurfaceCall): Peer {
  const cert = call.getAuthContext().sslPeerCertificate;
  const cn: unknown = cert?.subject?.CN;
  if (typeof cn !== 'string') throw fail('UNAUTHENTICATED', 'no client certificate with a single subject CN');
  const cluster = clusterFromCommonName(cn);
  if (!cluster)
    throw fail('UNAUTHENTICATED', `certificate CN ${JSON.stringify(cn)} is not a federated-learning agent`);
  return { cluster, address: call.getPeer() };
}

/**
 * The status a failed handler answers with. A call the client cancelled fails in whatever the
 * stream was doing ("Premature close"): that is the client's choice, logged at debug, not an error.
 */
export function toServiceError(
  e: unknown,
  log: Logger,
  method: string,
  signal?: AbortSignal,
): Partial<grpc.StatusObject> {
  if (e instanceof DataPlaneError) return { code: e.code as unknown as grpc.status, details: e.message };
  const error = e instanceof Error ? e.message : String(e);
  if (signal?.aborted) {
    log.debug('call cancelled by the client', { method, error });
    return { code: grpc.status.CANCELLED, details: 'call cancelled' };
  }
  log.error('handler failed', { method, error });
  return { code: grpc.status.INTERNAL, details: 'internal error' };
}

/** Bytes a message puts in the send buffer (chunk data; headers are small and counted as 0). */
function messageBytes(msg: unknown): number {
  const data = (msg as { chunk?: { data?: Uint8Array } }).chunk?.data;
  return data ? data.length : 0;
}

export async function startGrpcServer(o: ServerOptions): Promise<RunningServer> {
  const log = o.logger;
  const server = new grpc.Server(SERVER_OPTIONS);
  const active = new Map<string, number>();
  const sendBudget = new ByteBudget(o.sendBuffer ?? DEFAULT_SEND_BUFFER);
  // Counts a cluster's open calls; refuses beyond the cap with RESOURCE_EXHAUSTED.
  function enter(call: SurfaceCall): { peer: Peer; signal: AbortSignal; leave: () => void } {
    const peer = peerOf(call);
    const n = active.get(peer.cluster) ?? 0;
    if (n >= o.maxStreamsPerClient)
      throw fail(
        'RESOURCE_EXHAUSTED',
        `cluster ${peer.cluster} has ${n} calls open (limit ${o.maxStreamsPerClient})`,
      );
    active.set(peer.cluster, n + 1);
    const ac = new AbortController();
    (call as grpc.ServerUnaryCall<unknown, unknown>).once('cancelled', () =>
      ac.abort(new DataPlaneError(Status.CANCELLED, 'call cancelled')),
    );
    let left = false;
    return {
      peer,
      signal: ac.signal,
      leave: () => {
        if (left) return;
        left = true;
        const m = (active.get(peer.cluster) ?? 1) - 1;
        if (m === 0) active.delete(peer.cluster);
        else active.set(peer.cluster, m);
      },
    };
  }

  function unary<Req, Res>(name: string, h: Unary<Req, Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, cb) => {
      let ctx: ReturnType<typeof enter>;
      try {
        ctx = enter(call);
      } catch (e) {
        return cb(toServiceError(e, log, name));
      }
      h(call.request, ctx.peer, ctx.signal).then(
        (res) => (ctx.leave(), cb(null, res)),
        (e: unknown) => (ctx.leave(), cb(toServiceError(e, log, name, ctx.signal))),
      );
    };
  }

  function serverStream<Req, Res>(
    name: string,
    h: ServerStream<Req, Res>,
  ): grpc.handleServerStreamingCall<Req, Res> {
    return (call) => {
      let ctx: ReturnType<typeof enter>;
      try {
        ctx = enter(call);
      } catch (e) {
        // grpc-js sends a server stream's status when 'error' is emitted on it.
        return void call.emit('error', toServiceError(e, log, name));
      }
      // The call's slot is held until the stream is over (every byte left, or it was cancelled),
      // not until the handler returns: a client that stops reading must keep its slots busy.
      call.once('close', ctx.leave);
      call.once('finish', ctx.leave);
      call.once('cancelled', ctx.leave);
      void (async () => {
        try {
          for await (const msg of h(call.request, ctx.peer, ctx.signal)) {
            if (ctx.signal.aborted) break;
            await sendWithin(sendBudget, ctx, call, msg);
          }
          if (!ctx.signal.aborted) call.end();
        } catch (e) {
          if (!ctx.signal.aborted) call.emit('error', toServiceError(e, log, name, ctx.signal));
          else ctx.leave();
        }
      })();
    };
  }

  function clientStream<Req, Res>(
    name: string,
    h: ClientStream<Req, Res>,
  ): grpc.handleClientStreamingCall<Req, Res> {
    return (call, cb) => {
      let ctx: ReturnType<typeof enter>;
      try {
        ctx = enter(call);
      } catch (e) {
        return cb(toServiceError(e, log, name));
      }
      call.on('error', () => undefined); // surfaced through the iterator below
      h(call as AsyncIterable<Req>, ctx.peer, ctx.signal).then(
        (res) => (ctx.leave(), cb(null, res)),
        (e: unknown) => (ctx.leave(), cb(toServiceError(e, log, name, ctx.signal))),
      );
    };
  }

  const H = o.handlers;
  const impl: GenHandlers = {
    Join: unary('Join', H.join),
    Heartbeat: unary('Heartbeat', H.heartbeat),
    GetTask: unary('GetTask', H.getTask),
    DownloadModel: serverStream('DownloadModel', H.downloadModel),
    GetUploadOffset: unary('GetUploadOffset', H.getUploadOffset),
    UploadUpdate: clientStream('UploadUpdate', H.uploadUpdate),
    ReportMetrics: unary('ReportMetrics', H.reportMetrics),
    ReportFailure: unary('ReportFailure', H.reportFailure),
  };
  server.addService(
    loadAggregatorProto().federatedlearning.v1.Aggregator.service,
    impl as unknown as grpc.UntypedServiceImplementation,
  );
  checkServerTls(o.tls);
  const creds = new HardenedServerCredentials(o.tls);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`, creds, (err, p) =>
      err ? reject(new Error(`cannot listen on ${o.host}:${o.port}`, { cause: err })) : resolve(p),
    ),
  );
  return {
    port,
    stats: () => ({ openCalls: Object.fromEntries(active), sendBuffer: sendBudget.stats() }),
    updateTls: (tls) => creds.update(tls),
    close: (graceMs = 2_000) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      }),
  };
}

/**
 * Write one message once the budget has room for it and wait until grpc-js handed it to the
 * HTTP/2 stream (its write callback), so a stream never has more than one message of its own
 * queued and a reader that stalls stalls only its own stream.
 */
async function sendWithin(
  budget: ByteBudget,
  ctx: { peer: Peer; signal: AbortSignal },
  call: grpc.ServerWritableStream<unknown, unknown>,
  msg: unknown,
): Promise<void> {
  const release = await budget.acquire(ctx.peer.cluster, messageBytes(msg), ctx.signal);
  try {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        ctx.signal.removeEventListener('abort', done);
        resolve();
      };
      ctx.signal.addEventListener('abort', done, { once: true });
      call.write(msg, done);
    });
  } finally {
    release();
  }
}
