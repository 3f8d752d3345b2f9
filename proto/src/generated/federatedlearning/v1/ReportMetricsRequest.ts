// Original file: federated_learning/v1/aggregator.proto


export interface ReportMetricsRequest {
  'jobId'?: (string);
  'round'?: (number);
  'metrics'?: ({[key: string]: number | string});
}

export interface ReportMetricsRequest__Output {
  'jobId': (string);
  'round': (number);
  'metrics': ({[key: string]: number});
}
