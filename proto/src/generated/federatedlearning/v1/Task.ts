// Original file: federated_learning/v1/aggregator.proto

import type { ModelInfo as _federatedlearning_v1_ModelInfo, ModelInfo__Output as _federatedlearning_v1_ModelInfo__Output } from '../../federatedlearning/v1/ModelInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface Task {
  'round'?: (number);
  'rounds'?: (number);
  'config'?: ({[key: string]: string});
  'deadlineUnixMs'?: (number | string | Long);
  'finished'?: (boolean);
  'failed'?: (boolean);
  'model'?: (_federatedlearning_v1_ModelInfo | null);
  'submitted'?: (boolean);
  'phase'?: (string);
  'message'?: (string);
  'strategyConfig'?: ({[key: string]: string});
}

export interface Task__Output {
  'round': (number);
  'rounds': (number);
  'config': ({[key: string]: string});
  'deadlineUnixMs': (number);
  'finished': (boolean);
  'failed': (boolean);
  'model': (_federatedlearning_v1_ModelInfo__Output | null);
  'submitted': (boolean);
  'phase': (string);
  'message': (string);
  'strategyConfig': ({[key: string]: string});
}
