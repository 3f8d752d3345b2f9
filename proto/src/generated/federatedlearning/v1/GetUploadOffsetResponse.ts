// Original file: federated_learning/v1/aggregator.proto

import type { Long } from '@grpc/proto-loader';

export interface GetUploadOffsetResponse {
  'offset'?: (number | string | Long);
  'complete'?: (boolean);
}

export interface GetUploadOffsetResponse__Output {
  'offset': (number);
  'complete': (boolean);
}
