/** What a trainer Job's status says about the round. Pure. */
import type { Job } from './job-types.js';

export type JobOutcome =
  | { state: 'running' }
  | { state: 'succeeded' }
  | { state: 'failed'; reason: 'crashed' | 'timed-out'; message: string };

function condition(job: Job, type: string): { reason?: string; message?: string } | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

export function jobOutcome(job: Job): JobOutcome {
  const failed = condition(job, 'Failed') ?? condition(job, 'FailureTarget');
  if (failed) {
    const timedOut = failed.reason === 'DeadlineExceeded';
    const what = timedOut ? 'trainer exceeded its deadline' : 'trainer failed';
    const detail = [failed.reason, failed.message].filter(Boolean).join(': ');
    return {
      state: 'failed',
      reason: timedOut ? 'timed-out' : 'crashed',
      message: detail ? `${what} (${detail})` : what,
    };
  }
  if (condition(job, 'Complete') ?? condition(job, 'SuccessCriteriaMet')) return { state: 'succeeded' };
  if ((job.status?.failed ?? 0) > 0)
    return { state: 'failed', reason: 'crashed', message: 'trainer failed (pod failed)' };
  if ((job.status?.succeeded ?? 0) > 0) return { state: 'succeeded' };
  return { state: 'running' };
}
