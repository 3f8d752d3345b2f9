// Original file: federated_learning/v1/aggregator.proto


export interface ReportMetricsResponse {
}

export interface ReportMetricsResponse__Output {
}
