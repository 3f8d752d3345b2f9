// Original file: federated_learning/v1/aggregator.proto


export interface ReportFailureResponse {
}

export interface ReportFailureResponse__Output {
}
