/** A Kubernetes API error: HTTP status plus the Status object's reason and message. */
export class KubeError extends Error {
  override name = 'KubeError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function statusOf(e: unknown): number | undefined {
  return e instanceof KubeError ? e.status : undefined;
}

export const isNotFound = (e: unknown): boolean => statusOf(e) === 404;
export const isConflict = (e: unknown): boolean =>
  statusOf(e) === 409 && (e as KubeError).reason !== 'AlreadyExists';
export const isAlreadyExists = (e: unknown): boolean =>
  statusOf(e) === 409 && (e as KubeError).reason === 'AlreadyExists';
export const isGone = (e: unknown): boolean => statusOf(e) === 410;
/** Errors worth retrying: conflicts, throttling, server trouble, transport failures. */
export const isRetriable = (e: unknown): boolean => {
  const s = statusOf(e);
  return s === undefined || s === 409 || s === 429 || s >= 500;
};

/** A KubeError from a non-2xx answer, with the Status object's reason and message when it has one. */
export function toKubeError(status: number, text: string, what: string): KubeError {
  let reason = '';
  let message = text.slice(0, 500);
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string };
    reason = s.reason ?? '';
    message = s.message ?? message;
  } catch {
    // not a Status object; keep the raw text
  }
  return new KubeError(status, reason, `${what}: ${status} ${reason} ${message}`.trim());
}
