// Original file: federated_learning/v1/aggregator.proto


export interface GetTaskRequest {
  'jobId'?: (string);
  'waitSeconds'?: (number);
  'waitAfterRound'?: (number);
}

export interface GetTaskRequest__Output {
  'jobId': (string);
  'waitSeconds': (number);
  'waitAfterRound': (number);
}
