import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AggregatorClient as _federatedlearning_v1_AggregatorClient, AggregatorDefinition as _federatedlearning_v1_AggregatorDefinition } from './federatedlearning/v1/Aggregator.js';
import type { ByteRange as _federatedlearning_v1_ByteRange, ByteRange__Output as _federatedlearning_v1_ByteRange__Output } from './federatedlearning/v1/ByteRange.js';
import type { Chunk as _federatedlearning_v1_Chunk, Chunk__Output as _federatedlearning_v1_Chunk__Output } from './federatedlearning/v1/Chunk.js';
import type { DownloadModelRequest as _federatedlearning_v1_DownloadModelRequest, DownloadModelRequest__Output as _federatedlearning_v1_DownloadModelRequest__Output } from './federatedlearning/v1/DownloadModelRequest.js';
import type { DownloadModelResponse as _federatedlearning_v1_DownloadModelResponse, DownloadModelResponse__Output as _federatedlearning_v1_DownloadModelResponse__Output } from './federatedlearning/v1/DownloadModelResponse.js';
import type { GetTaskRequest as _federatedlearning_v1_GetTaskRequest, GetTaskRequest__Output as _federatedlearning_v1_GetTaskRequest__Output } from './federatedlearning/v1/GetTaskRequest.js';
import type { GetUploadOffsetRequest as _federatedlearning_v1_GetUploadOffsetRequest, GetUploadOffsetRequest__Output as _federatedlearning_v1_GetUploadOffsetRequest__Output } from './federatedlearning/v1/GetUploadOffsetRequest.js';
import type { GetUploadOffsetResponse as _federatedlearning_v1_GetUploadOffsetResponse, GetUploadOffsetResponse__Output as _federatedlearning_v1_GetUploadOffsetResponse__Output } from './federatedlearning/v1/GetUploadOffsetResponse.js';
import type { HeartbeatRequest as _federatedlearning_v1_HeartbeatRequest, HeartbeatRequest__Output as _federatedlearning_v1_HeartbeatRequest__Output } from './federatedlearning/v1/HeartbeatRequest.js';
import type { HeartbeatResponse as _federatedlearning_v1_HeartbeatResponse, HeartbeatResponse__Output as _federatedlearning_v1_HeartbeatResponse__Output } from './federatedlearning/v1/HeartbeatResponse.js';
import type { JoinRequest as _federatedlearning_v1_JoinRequest, JoinRequest__Output as _federatedlearning_v1_JoinRequest__Output } from './federatedlearning/v1/JoinRequest.js';
import type { JoinResponse as _federatedlearning_v1_JoinResponse, JoinResponse__Output as _federatedlearning_v1_JoinResponse__Output } from './federatedlearning/v1/JoinResponse.js';
import type { ModelInfo as _federatedlearning_v1_ModelInfo, ModelInfo__Output as _federatedlearning_v1_ModelInfo__Output } from './federatedlearning/v1/ModelInfo.js';
import type { ReportFailureRequest as _federatedlearning_v1_ReportFailureRequest, ReportFailureRequest__Output as _federatedlearning_v1_ReportFailureRequest__Output } from './federatedlearning/v1/ReportFailureRequest.js';
import type { ReportFailureResponse as _federatedlearning_v1_ReportFailureResponse, ReportFailureResponse__Output as _federatedlearning_v1_ReportFailureResponse__Output } from './federatedlearning/v1/ReportFailureResponse.js';
import type { ReportMetricsRequest as _federatedlearning_v1_ReportMetricsRequest, ReportMetricsRequest__Output as _federatedlearning_v1_ReportMetricsRequest__Output } from './federatedlearning/v1/ReportMetricsRequest.js';
import type { ReportMetricsResponse as _federatedlearning_v1_ReportMetricsResponse, ReportMetricsResponse__Output as _federatedlearning_v1_ReportMetricsResponse__Output } from './federatedlearning/v1/ReportMetricsResponse.js';
import type { Task as _federatedlearning_v1_Task, Task__Output as _federatedlearning_v1_Task__Output } from './federatedlearning/v1/Task.js';
import type { UploadHeader as _federatedlearning_v1_UploadHeader, UploadHeader__Output as _federatedlearning_v1_UploadHeader__Output } from './federatedlearning/v1/UploadHeader.js';
import type { UploadUpdateRequest as _federatedlearning_v1_UploadUpdateRequest, UploadUpdateRequest__Output as _federatedlearning_v1_UploadUpdateRequest__Output } from './federatedlearning/v1/UploadUpdateRequest.js';
import type { UploadUpdateResponse as _federatedlearning_v1_UploadUpdateResponse, UploadUpdateResponse__Output as _federatedlearning_v1_UploadUpdateResponse__Output } from './federatedlearning/v1/UploadUpdateResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  federatedlearning: {
    v1: {
      Aggregator: SubtypeConstructor<typeof grpc.Client, _federatedlearning_v1_AggregatorClient> & { service: _federatedlearning_v1_AggregatorDefinition }
      ByteRange: MessageTypeDefinition<_federatedlearning_v1_ByteRange, _federatedlearning_v1_ByteRange__Output>
      Chunk: MessageTypeDefinition<_federatedlearning_v1_Chunk, _federatedlearning_v1_Chunk__Output>
      DownloadModelRequest: MessageTypeDefinition<_federatedlearning_v1_DownloadModelRequest, _federatedlearning_v1_DownloadModelRequest__Output>
      DownloadModelResponse: MessageTypeDefinition<_federatedlearning_v1_DownloadModelResponse, _federatedlearning_v1_DownloadModelResponse__Output>
      FailureReason: EnumTypeDefinition
      GetTaskRequest: MessageTypeDefinition<_federatedlearning_v1_GetTaskRequest, _federatedlearning_v1_GetTaskRequest__Output>
      GetUploadOffsetRequest: MessageTypeDefinition<_federatedlearning_v1_GetUploadOffsetRequest, _federatedlearning_v1_GetUploadOffsetRequest__Output>
      GetUploadOffsetResponse: MessageTypeDefinition<_federatedlearning_v1_GetUploadOffsetResponse, _federatedlearning_v1_GetUploadOffsetResponse__Output>
      HeartbeatRequest: MessageTypeDefinition<_federatedlearning_v1_HeartbeatRequest, _federatedlearning_v1_HeartbeatRequest__Output>
      HeartbeatResponse: MessageTypeDefinition<_federatedlearning_v1_HeartbeatResponse, _federatedlearning_v1_HeartbeatResponse__Output>
      JoinRequest: MessageTypeDefinition<_federatedlearning_v1_JoinRequest, _federatedlearning_v1_JoinRequest__Output>
      JoinResponse: MessageTypeDefinition<_federatedlearning_v1_JoinResponse, _federatedlearning_v1_JoinResponse__Output>
      ModelInfo: MessageTypeDefinition<_federatedlearning_v1_ModelInfo, _federatedlearning_v1_ModelInfo__Output>
      ReportFailureRequest: MessageTypeDefinition<_federatedlearning_v1_ReportFailureRequest, _federatedlearning_v1_ReportFailureRequest__Output>
      ReportFailureResponse: MessageTypeDefinition<_federatedlearning_v1_ReportFailureResponse, _federatedlearning_v1_ReportFailureResponse__Output>
      ReportMetricsRequest: MessageTypeDefinition<_federatedlearning_v1_ReportMetricsRequest, _federatedlearning_v1_ReportMetricsRequest__Output>
      ReportMetricsResponse: MessageTypeDefinition<_federatedlearning_v1_ReportMetricsResponse, _federatedlearning_v1_ReportMetricsResponse__Output>
      Task: MessageTypeDefinition<_federatedlearning_v1_Task, _federatedlearning_v1_Task__Output>
      UploadHeader: MessageTypeDefinition<_federatedlearning_v1_UploadHeader, _federatedlearning_v1_UploadHeader__Output>
      UploadUpdateRequest: MessageTypeDefinition<_federatedlearning_v1_UploadUpdateRequest, _federatedlearning_v1_UploadUpdateRequest__Output>
      UploadUpdateResponse: MessageTypeDefinition<_federatedlearning_v1_UploadUpdateResponse, _federatedlearning_v1_UploadUpdateResponse__Output>
    }
  }
}

