// Original file: federated_learning/v1/aggregator.proto

import type { FailureReason as _federatedlearning_v1_FailureReason, FailureReason__Output as _federatedlearning_v1_FailureReason__Output } from '../../federatedlearning/v1/FailureReason.js';

export interface ReportFailureRequest {
  'jobId'?: (string);
  'round'?: (number);
  'reason'?: (_federatedlearning_v1_FailureReason);
  'message'?: (string);
}

export interface ReportFailureRequest__Output {
  'jobId': (string);
  'round': (number);
  'reason': (_federatedlearning_v1_FailureReason__Output);
  'message': (string);
}
