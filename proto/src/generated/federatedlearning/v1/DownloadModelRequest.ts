// Original file: federated_learning/v1/aggregator.proto

import type { Long } from '@grpc/proto-loader';

export interface DownloadModelRequest {
  'jobId'?: (string);
  'round'?: (number);
  'offset'?: (number | string | Long);
  'expectedSha256'?: (string);
  'end'?: (number | string | Long);
}

export interface DownloadModelRequest__Output {
  'jobId': (string);
  'round': (number);
  'offset': (number);
  'expectedSha256': (string);
  'end': (number);
}
