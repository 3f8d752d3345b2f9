import { describe, expect, it } from '@jest/globals';
import { jobOutcome } from './job-status.js';
import type { Job, JobStatus } from './job-types.js';

const job = (status?: JobStatus): Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'j' },
  ...(status ? { status } : {}),
});

describe('jobOutcome', () => {
  it.each<[string, JobStatus | undefined, ReturnType<typeof jobOutcome>]>([
    ['no status yet', undefined, { state: 'running' }],
    ['active', { active: 1 }, { state: 'running' }],
    [
      'complete condition',
      { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] },
      { state: 'succeeded' },
    ],
    ['succeeded count only', { succeeded: 1 }, { state: 'succeeded' }],
    [
      'deadline exceeded',
      {
        failed: 1,
        conditions: [
          {
            type: 'Failed',
            status: 'True',
            reason: 'DeadlineExceeded',
            message: 'Job was active longer than specified deadline',
          },
        ],
      },
      {
        state: 'failed',
        reason: 'timed-out',
        message:
          'trainer exceeded its deadline (DeadlineExceeded: Job was active longer than specified deadline)',
      },
    ],
    [
      'backoff limit',
      { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] },
      { state: 'failed', reason: 'crashed', message: 'trainer failed (BackoffLimitExceeded)' },
    ],
    [
      'failed count only',
      { failed: 1 },
      { state: 'failed', reason: 'crashed', message: 'trainer failed (pod failed)' },
    ],
    [
      'false condition ignored',
      { active: 1, conditions: [{ type: 'Failed', status: 'False' }] },
      { state: 'running' },
    ],
  ])('%s', (_n, status, want) => {
    expect(jobOutcome(job(status))).toEqual(want);
  });
});
