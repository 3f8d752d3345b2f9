// Original file: federated_learning/v1/aggregator.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DownloadModelRequest as _federatedlearning_v1_DownloadModelRequest, DownloadModelRequest__Output as _federatedlearning_v1_DownloadModelRequest__Output } from '../../federatedlearning/v1/DownloadModelRequest.js';
import type { DownloadModelResponse as _federatedlearning_v1_DownloadModelResponse, DownloadModelResponse__Output as _federatedlearning_v1_DownloadModelResponse__Output } from '../../federatedlearning/v1/DownloadModelResponse.js';
import type { GetTaskRequest as _federatedlearning_v1_GetTaskRequest, GetTaskRequest__Output as _federatedlearning_v1_GetTaskRequest__Output } from '../../federatedlearning/v1/GetTaskRequest.js';
import type { GetUploadOffsetRequest as _federatedlearning_v1_GetUploadOffsetRequest, GetUploadOffsetRequest__Output as _federatedlearning_v1_GetUploadOffsetRequest__Output } from '../../federatedlearning/v1/GetUploadOffsetRequest.js';
import type { GetUploadOffsetResponse as _federatedlearning_v1_GetUploadOffsetResponse, GetUploadOffsetResponse__Output as _federatedlearning_v1_GetUploadOffsetResponse__Output } from '../../federatedlearning/v1/GetUploadOffsetResponse.js';
import type { HeartbeatRequest as _federatedlearning_v1_HeartbeatRequest, HeartbeatRequest__Output as _federatedlearning_v1_HeartbeatRequest__Output } from '../../federatedlearning/v1/HeartbeatRequest.js';
import type { HeartbeatResponse as _federatedlearning_v1_HeartbeatResponse, HeartbeatResponse__Output as _federatedlearning_v1_HeartbeatResponse__Output } from '../../federatedlearning/v1/HeartbeatResponse.js';
import type { JoinRequest as _federatedlearning_v1_JoinRequest, JoinRequest__Output as _federatedlearning_v1_JoinRequest__Output } from '../../federatedlearning/v1/JoinRequest.js';
import type { JoinResponse as _federatedlearning_v1_JoinResponse, JoinResponse__Output as _federatedlearning_v1_JoinResponse__Output } from '../../federatedlearning/v1/JoinResponse.js';
import type { ReportFailureRequest as _federatedlearning_v1_ReportFailureRequest, ReportFailureRequest__Output as _federatedlearning_v1_ReportFailureRequest__Output } from '../../federatedlearning/v1/ReportFailureRequest.js';
import type { ReportFailureResponse as _federatedlearning_v1_ReportFailureResponse, ReportFailureResponse__Output as _federatedlearning_v1_ReportFailureResponse__Output } from '../../federatedlearning/v1/ReportFailureResponse.js';
import type { ReportMetricsRequest as _federatedlearning_v1_ReportMetricsRequest, ReportMetricsRequest__Output as _federatedlearning_v1_ReportMetricsRequest__Output } from '../../federatedlearning/v1/ReportMetricsRequest.js';
import type { ReportMetricsResponse as _federatedlearning_v1_ReportMetricsResponse, ReportMetricsResponse__Output as _federatedlearning_v1_ReportMetricsResponse__Output } from '../../federatedlearning/v1/ReportMetricsResponse.js';
import type { Task as _federatedlearning_v1_Task, Task__Output as _federatedlearning_v1_Task__Output } from '../../federatedlearning/v1/Task.js';
import type { UploadUpdateRequest as _federatedlearning_v1_UploadUpdateRequest, UploadUpdateRequest__Output as _federatedlearning_v1_UploadUpdateRequest__Output } from '../../federatedlearning/v1/UploadUpdateRequest.js';
import type { UploadUpdateResponse as _federatedlearning_v1_UploadUpdateResponse, UploadUpdateResponse__Output as _federatedlearning_v1_UploadUpdateResponse__Output } from '../../federatedlearning/v1/UploadUpdateResponse.js';

export interface AggregatorClient extends grpc.Client {
  DownloadModel(argument: _federatedlearning_v1_DownloadModelRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_federatedlearning_v1_DownloadModelResponse__Output>;
  DownloadModel(argument: _federatedlearning_v1_DownloadModelRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_federatedlearning_v1_DownloadModelResponse__Output>;
  downloadModel(argument: _federatedlearning_v1_DownloadModelRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_federatedlearning_v1_DownloadModelResponse__Output>;
  downloadModel(argument: _federatedlearning_v1_DownloadModelRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_federatedlearning_v1_DownloadModelResponse__Output>;
  
  GetTask(argument: _federatedlearning_v1_GetTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_Task__Output>): grpc.ClientUnaryCall;
  GetTask(argument: _federatedlearning_v1_GetTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_federatedlearning_v1_Task__Output>): grpc.ClientUnaryCall;
  GetTask(argument: _federatedlearning_v1_GetTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_Task__Output>): grpc.ClientUnaryCall;
  GetTask(argument: _federatedlearning_v1_GetTaskRequest, callback: grpc.requestCallback<_federatedlearning_v1_Task__Output>): grpc.ClientUnaryCall;
  getTask(argument: _federatedlearning_v1_GetTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_Task__Output>): grpc.ClientUnaryCall;
  getTask(argument: _federatedlearning_v1_GetTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_federatedlearning_v1_Task__Output>): grpc.ClientUnaryCall;
  getTask(argument: _federatedlearning_v1_GetTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_Task__Output>): grpc.ClientUnaryCall;
  getTask(argument: _federatedlearning_v1_GetTaskRequest, callback: grpc.requestCallback<_federatedlearning_v1_Task__Output>): grpc.ClientUnaryCall;
  
  GetUploadOffset(argument: _federatedlearning_v1_GetUploadOffsetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_GetUploadOffsetResponse__Output>): grpc.ClientUnaryCall;
  GetUploadOffset(argument: _federatedlearning_v1_GetUploadOffsetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_federatedlearning_v1_GetUploadOffsetResponse__Output>): grpc.ClientUnaryCall;
  GetUploadOffset(argument: _federatedlearning_v1_GetUploadOffsetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_GetUploadOffsetResponse__Output>): grpc.ClientUnaryCall;
  GetUploadOffset(argument: _federatedlearning_v1_GetUploadOffsetRequest, callback: grpc.requestCallback<_federatedlearning_v1_GetUploadOffsetResponse__Output>): grpc.ClientUnaryCall;
  getUploadOffset(argument: _federatedlearning_v1_GetUploadOffsetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_GetUploadOffsetResponse__Output>): grpc.ClientUnaryCall;
  getUploadOffset(argument: _federatedlearning_v1_GetUploadOffsetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_federatedlearning_v1_GetUploadOffsetResponse__Output>): grpc.ClientUnaryCall;
  getUploadOffset(argument: _federatedlearning_v1_GetUploadOffsetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_GetUploadOffsetResponse__Output>): grpc.ClientUnaryCall;
  getUploadOffset(argument: _federatedlearning_v1_GetUploadOffsetRequest, callback: grpc.requestCallback<_federatedlearning_v1_GetUploadOffsetResponse__Output>): grpc.ClientUnaryCall;
  
  Heartbeat(argument: _federatedlearning_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _federatedlearning_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_federatedlearning_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _federatedlearning_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _federatedlearning_v1_HeartbeatRequest, callback: grpc.requestCallback<_federatedlearning_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _federatedlearning_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _federatedlearning_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_federatedlearning_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _federatedlearning_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _federatedlearning_v1_HeartbeatRequest, callback: grpc.requestCallback<_federatedlearning_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  
  Join(argument: _federatedlearning_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _federatedlearning_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_federatedlearning_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _federatedlearning_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _federatedlearning_v1_JoinRequest, callback: grpc.requestCallback<_federatedlearning_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _federatedlearning_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _federatedlearning_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_federatedlearning_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _federatedlearning_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _federatedlearning_v1_JoinRequest, callback: grpc.requestCallback<_federatedlearning_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  
  ReportFailure(argument: _federatedlearning_v1_ReportFailureRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  ReportFailure(argument: _federatedlearning_v1_ReportFailureRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_federatedlearning_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  ReportFailure(argument: _federatedlearning_v1_ReportFailureRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  ReportFailure(argument: _federatedlearning_v1_ReportFailureRequest, callback: grpc.requestCallback<_federatedlearning_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  reportFailure(argument: _federatedlearning_v1_ReportFailureRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  reportFailure(argument: _federatedlearning_v1_ReportFailureRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_federatedlearning_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  reportFailure(argument: _federatedlearning_v1_ReportFailureRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  reportFailure(argument: _federatedlearning_v1_ReportFailureRequest, callback: grpc.requestCallback<_federatedlearning_v1_ReportFailureResponse__Output>): grpc.ClientUnaryCall;
  
  ReportMetrics(argument: _federatedlearning_v1_ReportMetricsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_ReportMetricsResponse__Output>): grpc.ClientUnaryCall;
  ReportMetrics(argument: _federatedlearning_v1_ReportMetricsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_federatedlearning_v1_ReportMetricsResponse__Output>): grpc.ClientUnaryCall;
  ReportMetrics(argument: _federatedlearning_v1_ReportMetricsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_ReportMetricsResponse__Output>): grpc.ClientUnaryCall;
  ReportMetrics(argument: _federatedlearning_v1_ReportMetricsRequest, callback: grpc.requestCallback<_federatedlearning_v1_ReportMetricsResponse__Output>): grpc.ClientUnaryCall;
  reportMetrics(argument: _federatedlearning_v1_ReportMetricsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_ReportMetricsResponse__Output>): grpc.ClientUnaryCall;
  reportMetrics(argument: _federatedlearning_v1_ReportMetricsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_federatedlearning_v1_ReportMetricsResponse__Output>): grpc.ClientUnaryCall;
  reportMetrics(argument: _federatedlearning_v1_ReportMetricsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_ReportMetricsResponse__Output>): grpc.ClientUnaryCall;
  reportMetrics(argument: _federatedlearning_v1_ReportMetricsRequest, callback: grpc.requestCallback<_federatedlearning_v1_ReportMetricsResponse__Output>): grpc.ClientUnaryCall;
  
  UploadUpdate(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_UploadUpdateResponse__Output>): grpc.ClientWritableStream<_federatedlearning_v1_UploadUpdateRequest>;
  UploadUpdate(metadata: grpc.Metadata, callback: grpc.requestCallback<_federatedlearning_v1_UploadUpdateResponse__Output>): grpc.ClientWritableStream<_federatedlearning_v1_UploadUpdateRequest>;
  UploadUpdate(options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_UploadUpdateResponse__Output>): grpc.ClientWritableStream<_federatedlearning_v1_UploadUpdateRequest>;
  UploadUpdate(callback: grpc.requestCallback<_federatedlearning_v1_UploadUpdateResponse__Output>): grpc.ClientWritableStream<_federatedlearning_v1_UploadUpdateRequest>;
  uploadUpdate(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_UploadUpdateResponse__Output>): grpc.ClientWritableStream<_federatedlearning_v1_UploadUpdateRequest>;
  uploadUpdate(metadata: grpc.Metadata, callback: grpc.requestCallback<_federatedlearning_v1_UploadUpdateResponse__Output>): grpc.ClientWritableStream<_federatedlearning_v1_UploadUpdateRequest>;
  uploadUpdate(options: grpc.CallOptions, callback: grpc.requestCallback<_federatedlearning_v1_UploadUpdateResponse__Output>): grpc.ClientWritableStream<_federatedlearning_v1_UploadUpdateRequest>;
  uploadUpdate(callback: grpc.requestCallback<_federatedlearning_v1_UploadUpdateResponse__Output>): grpc.ClientWritableStream<_federatedlearning_v1_UploadUpdateRequest>;
  
}

export interface AggregatorHandlers extends grpc.UntypedServiceImplementation {
  DownloadModel: grpc.handleServerStreamingCall<_federatedlearning_v1_DownloadModelRequest__Output, _federatedlearning_v1_DownloadModelResponse>;
  
  GetTask: grpc.handleUnaryCall<_federatedlearning_v1_GetTaskRequest__Output, _federatedlearning_v1_Task>;
  
  GetUploadOffset: grpc.handleUnaryCall<_federatedlearning_v1_GetUploadOffsetRequest__Output, _federatedlearning_v1_GetUploadOffsetResponse>;
  
  Heartbeat: grpc.handleUnaryCall<_federatedlearning_v1_HeartbeatRequest__Output, _federatedlearning_v1_HeartbeatResponse>;
  
  Join: grpc.handleUnaryCall<_federatedlearning_v1_JoinRequest__Output, _federatedlearning_v1_JoinResponse>;
  
  ReportFailure: grpc.handleUnaryCall<_federatedlearning_v1_ReportFailureRequest__Output, _federatedlearning_v1_ReportFailureResponse>;
  
  ReportMetrics: grpc.handleUnaryCall<_federatedlearning_v1_ReportMetricsRequest__Output, _federatedlearning_v1_ReportMetricsResponse>;
  
  UploadUpdate: grpc.handleClientStreamingCall<_federatedlearning_v1_UploadUpdateRequest__Output, _federatedlearning_v1_UploadUpdateResponse>;
  
}

export interface AggregatorDefinition extends grpc.ServiceDefinition {
  DownloadModel: MethodDefinition<_federatedlearning_v1_DownloadModelRequest, _federatedlearning_v1_DownloadModelResponse, _federatedlearning_v1_DownloadModelRequest__Output, _federatedlearning_v1_DownloadModelResponse__Output>
  GetTask: MethodDefinition<_federatedlearning_v1_GetTaskRequest, _federatedlearning_v1_Task, _federatedlearning_v1_GetTaskRequest__Output, _federatedlearning_v1_Task__Output>
  GetUploadOffset: MethodDefinition<_federatedlearning_v1_GetUploadOffsetRequest, _federatedlearning_v1_GetUploadOffsetResponse, _federatedlearning_v1_GetUploadOffsetRequest__Output, _federatedlearning_v1_GetUploadOffsetResponse__Output>
  Heartbeat: MethodDefinition<_federatedlearning_v1_HeartbeatRequest, _federatedlearning_v1_HeartbeatResponse, _federatedlearning_v1_HeartbeatRequest__Output, _federatedlearning_v1_HeartbeatResponse__Output>
  Join: MethodDefinition<_federatedlearning_v1_JoinRequest, _federatedlearning_v1_JoinResponse, _federatedlearning_v1_JoinRequest__Output, _federatedlearning_v1_JoinResponse__Output>
  ReportFailure: MethodDefinition<_federatedlearning_v1_ReportFailureRequest, _federatedlearning_v1_ReportFailureResponse, _federatedlearning_v1_ReportFailureRequest__Output, _federatedlearning_v1_ReportFailureResponse__Output>
  ReportMetrics: MethodDefinition<_federatedlearning_v1_ReportMetricsRequest, _federatedlearning_v1_ReportMetricsResponse, _federatedlearning_v1_ReportMetricsRequest__Output, _federatedlearning_v1_ReportMetricsResponse__Output>
  UploadUpdate: MethodDefinition<_federatedlearning_v1_UploadUpdateRequest, _federatedlearning_v1_UploadUpdateResponse, _federatedlearning_v1_UploadUpdateRequest__Output, _federatedlearning_v1_UploadUpdateResponse__Output>
}
