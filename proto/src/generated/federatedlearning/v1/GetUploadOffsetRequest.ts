// Original file: federated_learning/v1/aggregator.proto


export interface GetUploadOffsetRequest {
  'jobId'?: (string);
  'round'?: (number);
  'sha256'?: (string);
}

export interface GetUploadOffsetRequest__Output {
  'jobId': (string);
  'round': (number);
  'sha256': (string);
}
