// Original file: federated_learning/v1/aggregator.proto

import type { ByteRange as _federatedlearning_v1_ByteRange, ByteRange__Output as _federatedlearning_v1_ByteRange__Output } from '../../federatedlearning/v1/ByteRange.js';
import type { Long } from '@grpc/proto-loader';

export interface GetUploadOffsetResponse {
  'offset'?: (number | string | Long);
  'complete'?: (boolean);
  'held'?: (_federatedlearning_v1_ByteRange)[];
}

export interface GetUploadOffsetResponse__Output {
  'offset': (number);
  'complete': (boolean);
  'held': (_federatedlearning_v1_ByteRange__Output)[];
}
