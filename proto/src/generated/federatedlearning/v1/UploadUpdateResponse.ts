// Original file: federated_learning/v1/aggregator.proto

import type { Long } from '@grpc/proto-loader';

export interface UploadUpdateResponse {
  'round'?: (number);
  'receivedBytes'?: (number | string | Long);
  'sha256'?: (string);
  'committed'?: (boolean);
}

export interface UploadUpdateResponse__Output {
  'round': (number);
  'receivedBytes': (number);
  'sha256': (string);
  'committed': (boolean);
}
