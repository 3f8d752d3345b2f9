// Original file: federated_learning/v1/aggregator.proto

import type { UploadHeader as _federatedlearning_v1_UploadHeader, UploadHeader__Output as _federatedlearning_v1_UploadHeader__Output } from '../../federatedlearning/v1/UploadHeader.js';
import type { Chunk as _federatedlearning_v1_Chunk, Chunk__Output as _federatedlearning_v1_Chunk__Output } from '../../federatedlearning/v1/Chunk.js';

export interface UploadUpdateRequest {
  'header'?: (_federatedlearning_v1_UploadHeader | null);
  'chunk'?: (_federatedlearning_v1_Chunk | null);
  'kind'?: "header"|"chunk";
}

export interface UploadUpdateRequest__Output {
  'header'?: (_federatedlearning_v1_UploadHeader__Output | null);
  'chunk'?: (_federatedlearning_v1_Chunk__Output | null);
  'kind'?: "header"|"chunk";
}
