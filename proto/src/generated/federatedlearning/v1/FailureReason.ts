// Original file: federated_learning/v1/aggregator.proto

export const FailureReason = {
  FAILURE_REASON_UNSPECIFIED: 'FAILURE_REASON_UNSPECIFIED',
  TRAINER_CRASHED: 'TRAINER_CRASHED',
  TRAINER_TIMED_OUT: 'TRAINER_TIMED_OUT',
  DATA_UNAVAILABLE: 'DATA_UNAVAILABLE',
  OTHER: 'OTHER',
} as const;

export type FailureReason =
  | 'FAILURE_REASON_UNSPECIFIED'
  | 0
  | 'TRAINER_CRASHED'
  | 1
  | 'TRAINER_TIMED_OUT'
  | 2
  | 'DATA_UNAVAILABLE'
  | 3
  | 'OTHER'
  | 4

export type FailureReason__Output = typeof FailureReason[keyof typeof FailureReason]
