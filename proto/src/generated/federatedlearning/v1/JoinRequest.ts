// Original file: federated_learning/v1/aggregator.proto


export interface JoinRequest {
  'jobId'?: (string);
  'agentVersion'?: (string);
}

export interface JoinRequest__Output {
  'jobId': (string);
  'agentVersion': (string);
}
