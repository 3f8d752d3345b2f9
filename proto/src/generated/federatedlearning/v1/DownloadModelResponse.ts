// Original file: federated_learning/v1/aggregator.proto

import type { ModelInfo as _federatedlearning_v1_ModelInfo, ModelInfo__Output as _federatedlearning_v1_ModelInfo__Output } from '../../federatedlearning/v1/ModelInfo.js';
import type { Chunk as _federatedlearning_v1_Chunk, Chunk__Output as _federatedlearning_v1_Chunk__Output } from '../../federatedlearning/v1/Chunk.js';

export interface DownloadModelResponse {
  'header'?: (_federatedlearning_v1_ModelInfo | null);
  'chunk'?: (_federatedlearning_v1_Chunk | null);
  'kind'?: "header"|"chunk";
}

export interface DownloadModelResponse__Output {
  'header'?: (_federatedlearning_v1_ModelInfo__Output | null);
  'chunk'?: (_federatedlearning_v1_Chunk__Output | null);
  'kind'?: "header"|"chunk";
}
