// Original file: federated_learning/v1/aggregator.proto


export interface HeartbeatResponse {
  'currentRound'?: (number);
  'finished'?: (boolean);
}

export interface HeartbeatResponse__Output {
  'currentRound': (number);
  'finished': (boolean);
}
