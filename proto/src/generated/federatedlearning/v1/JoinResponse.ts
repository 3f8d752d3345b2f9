// Original file: federated_learning/v1/aggregator.proto


export interface JoinResponse {
  'jobId'?: (string);
  'jobName'?: (string);
  'cluster'?: (string);
  'rounds'?: (number);
  'currentRound'?: (number);
  'heartbeatIntervalSeconds'?: (number);
  'maxChunkBytes'?: (number);
  'maxParallelStreams'?: (number);
}

export interface JoinResponse__Output {
  'jobId': (string);
  'jobName': (string);
  'cluster': (string);
  'rounds': (number);
  'currentRound': (number);
  'heartbeatIntervalSeconds': (number);
  'maxChunkBytes': (number);
  'maxParallelStreams': (number);
}
