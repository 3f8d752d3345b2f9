// Original file: federated_learning/v1/aggregator.proto


export interface HeartbeatRequest {
  'jobId'?: (string);
  'round'?: (number);
  'state'?: (string);
}

export interface HeartbeatRequest__Output {
  'jobId': (string);
  'round': (number);
  'state': (string);
}
