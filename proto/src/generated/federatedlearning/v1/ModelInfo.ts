// Original file: federated_learning/v1/aggregator.proto

import type { Long } from '@grpc/proto-loader';

export interface ModelInfo {
  'round'?: (number);
  'size'?: (number | string | Long);
  'sha256'?: (string);
}

export interface ModelInfo__Output {
  'round': (number);
  'size': (number);
  'sha256': (string);
}
