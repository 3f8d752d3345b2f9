import { describe, expect, it } from '@jest/globals';
import { ConfigError, DEFAULT_MAX_ROUND_RETRIES, parseConfig } from './config.js';
import { JobStateError, parseJobState } from './state.js';
import { parseEvaluation } from './evaluation.js';

const minimal = {
  jobId: 'ns/job',
  tls: { certFile: 'c', keyFile: 'k', caFile: 'a' },
  storageDir: '/d',
  rounds: 2,
  initialModelPath: '/d/m.safetensors',
};

describe('job contract: config', () => {
  it('fills the documented defaults, the same the controller renders', () => {
    const c = parseConfig(minimal);
    expect(c.failurePolicy).toEqual({ action: 'retryRound', maxRetries: DEFAULT_MAX_ROUND_RETRIES });
    expect(c).toMatchObject({ heartbeatIntervalSeconds: 30, maxStreamsPerClient: 8, finalGraceSeconds: 60 });
  });

  it('parses the strategy and names a bad field', () => {
    expect(parseConfig({ ...minimal, strategy: { name: 'Krum', parameters: { f: 1 } } }).strategy).toEqual({
      name: 'Krum',
      parameters: { f: 1 },
    });
    expect(() => parseConfig({ ...minimal, strategy: { parameters: {} } })).toThrow(/strategy\.name/);
    expect(() => parseConfig({ ...minimal, rounds: 0 })).toThrow(ConfigError);
  });
});

const state = {
  jobId: 'ns/job',
  phase: 'running',
  message: '',
  rounds: 2,
  completedRounds: 1,
  modelSha256: 'ab',
  modelSize: 10,
  history: [
    {
      round: 1,
      attempt: 0,
      participants: ['c1'],
      failed: [],
      stragglers: [],
      examples: 5,
      metrics: { loss: 1 },
      durationMs: 3,
      sha256: 'ab',
      outcome: 'aggregated',
      closedAt: 'now',
      clients: { c1: { included: true, weight: 1 } },
    },
  ],
  clients: {},
  updatedAt: 'now',
};

describe('job contract: state', () => {
  it('accepts what the aggregator writes and refuses a malformed state naming the field', () => {
    expect(parseJobState(state)).toBe(state);
    expect(() => parseJobState({ ...state, phase: 'done' })).toThrow(/phase/);
    expect(() =>
      parseJobState({ ...state, history: [{ ...state.history[0], metrics: { loss: 'x' } }] }),
    ).toThrow(JobStateError);
    expect(() => parseJobState('nope')).toThrow(/must be an object/);
  });
});

describe('job contract: evaluation', () => {
  it('reads accuracy and per-class accuracy, undefined for anything else', () => {
    expect(parseEvaluation({ accuracy: 0.9, perClassAccuracy: [0.8, 1], examples: 10.2 })).toEqual({
      accuracy: 0.9,
      examples: 10,
      perClassAccuracy: { '0': 0.8, '1': 1 },
    });
    expect(parseEvaluation({ foo: 1 })).toBeUndefined();
  });
});
