import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { TlsMaterial } from '@ocm-fl/common/dataplane/client.js';
import { fail } from '@ocm-fl/common/dataplane/errors.js';
import { silentLogger, type Logger } from '@ocm-fl/common/logger.js';
import { IdentityError, loadIdentity, type Identity, type IdentityPaths } from './load-identity.js';

export interface IdentityWatcherOptions extends IdentityPaths {
  logger?: Logger;
  /** Fallback re-check period; fs.watch can miss kubelet's `..data` symlink swap on some filesystems. Default 10 s. */
  pollIntervalMs?: number;
  /** Coalesce bursts of file events (kubelet writes several entries per update). Default 100 ms. */
  debounceMs?: number;
  now?: () => Date;
  /**
   * Start even when the files are missing or unusable and adopt the first valid identity that
   * appears (the agent's mode: the klusterlet writes the Secret only after the hub signed the
   * CSR). Until then tls() throws UNAVAILABLE and notReady() says why. Default false: the
   * constructor throws IdentityError.
   */
  waitForFiles?: boolean;
}

export interface ExpiryReport {
  notAfter: Date;
  secondsLeft: number;
  /** Fraction of the lifetime left (0..1). */
  remainingFraction: number;
}

/**
 * The agent's client identity, hot-reloaded. Kubernetes updates a mounted Secret or ConfigMap by
 * writing a new timestamped directory and swapping the `..data` symlink, so the directories are
 * watched (not the files) and a periodic re-read backs the watch up. A half-written or
 * inconsistent update is ignored and the last good identity kept; listeners hear only about a
 * new valid identity. Existing connections keep the credentials they were made with.
 */
export class IdentityWatcher {
  private identity: Identity | undefined;
  private readonly listeners: ((id: Identity) => void)[] = [];
  private readonly watchers: FSWatcher[] = [];
  private timer?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private lastError?: string;
  private readonly log: Logger;
  private readonly now: () => Date;

  /**
   * Throws IdentityError with a clear message when the files are missing or do not match,
   * unless `waitForFiles` is set.
   */
  constructor(private readonly opts: IdentityWatcherOptions) {
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? (() => new Date());
    try {
      this.identity = loadIdentity(opts, this.now());
    } catch (e) {
      if (!(opts.waitForFiles && e instanceof IdentityError)) throw e;
      this.lastError = e.message;
      this.log.warn('no usable client identity yet; waiting for the certificate files', { error: e.message });
      return;
    }
    this.log.info('loaded client identity', this.describe(this.identity));
  }

  /** Begin watching; call stop() to release the watches. */
  start(): this {
    const dirs = new Set([this.opts.certDir, path.dirname(this.opts.caFile)]);
    for (const d of dirs) {
      try {
        const w = watch(d, () => this.scheduleReload());
        w.on('error', (e) =>
          this.log.warn('identity directory watch failed; polling only', { dir: d, error: e.message }),
        );
        this.watchers.push(w);
      } catch (e) {
        this.log.warn('cannot watch identity directory; polling only', {
          dir: d,
          error: (e as Error).message,
        });
      }
    }
    this.timer = setInterval(() => this.reload(), this.opts.pollIntervalMs ?? 10_000);
    this.timer.unref();
    return this;
  }

  stop(): void {
    for (const w of this.watchers.splice(0)) w.close();
    clearInterval(this.timer);
    clearTimeout(this.debounce);
  }

  /** The identity in use; throws IdentityError while none has been loaded (waitForFiles). */
  current(): Identity {
    if (!this.identity) throw new IdentityError(`no client identity yet: ${this.lastError ?? 'not loaded'}`);
    return this.identity;
  }

  /** Called with each new valid identity; returns an unsubscribe function. */
  onRotate(fn: (id: Identity) => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Material for a new TLS connection (the AgentIdentity / TlsSource contract). */
  tls(): TlsMaterial {
    const id = this.identity;
    // UNAVAILABLE: callers retry with backoff, as for any connection the hub cannot serve yet.
    if (!id) throw fail('UNAVAILABLE', `no client certificate yet: ${this.lastError ?? 'not loaded'}`);
    return { cert: Buffer.from(id.certPem), key: Buffer.from(id.keyPem), ca: Buffer.from(id.caPem) };
  }

  expiry(): Date | undefined {
    return this.identity?.notAfter;
  }

  expiryReport(): ExpiryReport {
    const { notBefore, notAfter } = this.current();
    const left = notAfter.getTime() - this.now().getTime();
    return {
      notAfter,
      secondsLeft: Math.floor(left / 1000),
      remainingFraction: Math.max(0, left / (notAfter.getTime() - notBefore.getTime())),
    };
  }

  /** Undefined when the identity is usable, else why not (for status and readiness). */
  notReady(): string | undefined {
    if (!this.identity) return `no usable client certificate yet: ${this.lastError ?? 'not loaded'}`;
    if (this.identity.notAfter <= this.now())
      return `client certificate expired at ${this.identity.notAfter.toISOString()}`;
    return this.lastError
      ? `reload failed, still using the previous certificate: ${this.lastError}`
      : undefined;
  }

  private scheduleReload(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.reload(), this.opts.debounceMs ?? 100);
  }

  /** Re-read the files now; returns true when a new identity was adopted. */
  reload(): boolean {
    let next: Identity;
    try {
      next = loadIdentity(this.opts, this.now());
    } catch (e) {
      const msg = e instanceof IdentityError ? e.message : String(e);
      if (msg !== this.lastError)
        this.log.warn('ignoring unusable identity files, keeping the previous certificate', { error: msg });
      this.lastError = msg;
      return false;
    }
    this.lastError = undefined;
    const prev = this.identity;
    if (prev && next.fingerprint === prev.fingerprint && next.caPem === prev.caPem) return false;
    this.identity = next;
    this.log.info(prev ? 'client identity rotated' : 'loaded client identity', this.describe(next));
    for (const fn of this.listeners) {
      try {
        fn(next);
      } catch (e) {
        this.log.error('identity rotation listener failed', { error: (e as Error).message });
      }
    }
    return true;
  }

  private describe(id: Identity): Record<string, unknown> {
    return {
      cluster: id.cluster,
      notAfter: id.notAfter.toISOString(),
      fingerprint: id.fingerprint,
      issuer: id.issuerFingerprint,
    };
  }
}
