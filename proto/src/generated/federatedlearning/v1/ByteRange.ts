// Original file: federated_learning/v1/aggregator.proto

import type { Long } from '@grpc/proto-loader';

export interface ByteRange {
  'begin'?: (number | string | Long);
  'end'?: (number | string | Long);
}

export interface ByteRange__Output {
  'begin': (number);
  'end': (number);
}
