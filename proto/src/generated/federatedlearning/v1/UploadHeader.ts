// Original file: federated_learning/v1/aggregator.proto

import type { Long } from '@grpc/proto-loader';

export interface UploadHeader {
  'jobId'?: (string);
  'round'?: (number);
  'examples'?: (number | string | Long);
  'size'?: (number | string | Long);
  'sha256'?: (string);
  'offset'?: (number | string | Long);
  'metrics'?: ({[key: string]: number | string});
  'end'?: (number | string | Long);
}

export interface UploadHeader__Output {
  'jobId': (string);
  'round': (number);
  'examples': (number);
  'size': (number);
  'sha256': (string);
  'offset': (number);
  'metrics': ({[key: string]: number});
  'end': (number);
}
