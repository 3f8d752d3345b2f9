/** Retry with exponential backoff and full jitter, for transient data-plane failures. */
import { DataPlaneError, type StatusName } from './errors.js';

export interface RetryOptions {
  /** Attempts after the first; default 8. */
  readonly retries?: number;
  readonly baseMs?: number;
  readonly maxMs?: number;
  readonly signal?: AbortSignal;
  /** Statuses worth another attempt; default UNAVAILABLE (and ABORTED, RESOURCE_EXHAUSTED). */
  readonly retryOn?: readonly StatusName[];
  readonly onRetry?: (attempt: number, error: DataPlaneError, delayMs: number) => void;
}

export const TRANSIENT: readonly StatusName[] = ['UNAVAILABLE', 'ABORTED', 'RESOURCE_EXHAUSTED'];

/** Delay before retry `attempt` (1-based): uniform in [0, min(max, base·2^(attempt-1))]. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** (attempt - 1)));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const retries = opts.retries ?? 8;
  const retryOn = opts.retryOn ?? TRANSIENT;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (opts.signal?.aborted || attempt >= retries || !DataPlaneError.is(e, ...retryOn)) throw e;
      const delay = backoffDelay(attempt + 1, opts.baseMs ?? 200, opts.maxMs ?? 10_000);
      opts.onRetry?.(attempt + 1, e, delay);
      await sleep(delay, opts.signal);
    }
  }
}
