import type { KubeObject } from '../api/meta.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { KubeClient, ListOptions } from './client.js';
import { isGone } from './errors.js';
import { objectKey } from './paths.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';
type Handler<T> = (type: ChangeType, obj: T) => void;

/**
 * A list+watch cache: lists once, then watches from the list's resourceVersion, re-watching
 * when the server closes the stream and relisting (with a diff) on 410 Gone.
 */
export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: Handler<T>[] = [];
  private readonly abort = new AbortController();
  private resourceVersion = '';
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    readonly apiVersion: string,
    readonly kind: string,
    private readonly opts: ListOptions & { logger?: Logger } = {},
  ) {}

  onChange(fn: Handler<T>): void {
    this.handlers.push(fn);
  }

  /** Resolves after the initial list has been delivered to the handlers. */
  async start(): Promise<void> {
    await this.relist();
    this.loop = this.run();
  }

  stop(): void {
    this.abort.abort();
  }

  /** Wait for the watch loop to end after stop(). */
  async stopped(): Promise<void> {
    await this.loop;
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  private emit(type: ChangeType, obj: T): void {
    const key = objectKey(obj);
    if (type === 'DELETED') this.cache.delete(key);
    else this.cache.set(key, obj);
    for (const h of this.handlers) {
      try {
        h(type, obj);
      } catch (e) {
        (this.opts.logger ?? silentLogger).error('informer handler failed', {
          kind: this.kind,
          key,
          error: e,
        });
      }
    }
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.client.listWithVersion<T>(
      this.apiVersion,
      this.kind,
      this.opts,
    );
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      const prev = this.cache.get(key);
      if (!prev) this.emit('ADDED', item);
      else if (prev.metadata.resourceVersion !== item.metadata.resourceVersion) this.emit('MODIFIED', item);
    }
    for (const [key, obj] of [...this.cache]) if (!seen.has(key)) this.emit('DELETED', obj);
    this.resourceVersion = resourceVersion;
  }

  private async run(): Promise<void> {
    const log = this.opts.logger ?? silentLogger;
    let backoff = 250;
    while (!this.abort.signal.aborted) {
      try {
        await this.client.watch<T>(
          this.apiVersion,
          this.kind,
          { ...this.opts, resourceVersion: this.resourceVersion },
          (type, obj) => {
            this.resourceVersion = obj.metadata.resourceVersion ?? this.resourceVersion;
            this.emit(type, obj);
          },
          this.abort.signal,
          (rv) => (this.resourceVersion = rv || this.resourceVersion),
        );
        backoff = 250;
      } catch (e) {
        if (this.abort.signal.aborted) break;
        if (!isGone(e)) log.warn('watch failed; retrying', { kind: this.kind, error: e, backoffMs: backoff });
        await sleep(backoff, this.abort.signal);
        backoff = Math.min(backoff * 2, 30_000);
        try {
          await this.relist();
        } catch (err) {
          log.warn('relist failed', { kind: this.kind, error: err });
        }
      }
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
