// Original file: federated_learning/v1/aggregator.proto


export interface GetTaskRequest {
  'jobId'?: (string);
}

export interface GetTaskRequest__Output {
  'jobId': (string);
}
