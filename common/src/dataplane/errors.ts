/**
 * gRPC status codes and the one error type both sides of the data plane throw. The numeric
 * values are gRPC's, so code outside the two grpc wrapper modules never imports @grpc/grpc-js.
 */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type StatusName = keyof typeof Status;
export type StatusCode = (typeof Status)[StatusName];

const NAMES = Object.fromEntries(Object.entries(Status).map(([k, v]) => [v, k])) as Record<
  number,
  StatusName
>;

export function statusName(code: number): StatusName {
  return NAMES[code] ?? 'UNKNOWN';
}

/** A data-plane failure with its gRPC status; thrown by handlers, raised by the client. */
export class DataPlaneError extends Error {
  override name = 'DataPlaneError';
  constructor(
    readonly code: StatusCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): StatusName {
    return statusName(this.code);
  }

  static is(e: unknown, ...codes: StatusName[]): e is DataPlaneError {
    return e instanceof DataPlaneError && (codes.length === 0 || codes.includes(e.status));
  }
}

/** Shorthand for handlers: `throw fail('PERMISSION_DENIED', 'cluster x is not admitted')`. */
export function fail(status: StatusName, message: string, cause?: unknown): DataPlaneError {
  return new DataPlaneError(Status[status], message, cause === undefined ? undefined : { cause });
}
