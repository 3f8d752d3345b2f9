import { createHash } from 'node:crypto';

/** The task document of `GET {FL_HANDOFF_URL}/task` (spoke-agent/TRAINER.md), as far as trainers read it. */
export interface HandoffTask {
  round: number;
  rounds: number;
  cluster: string;
  parameters: Record<string, string | number | boolean>;
  /** What the aggregation strategy asks of local training (FedProx: proximalMu); may be absent. */
  strategy?: Record<string, string>;
  data: { location: string; dir: string };
  model: { bytes: number; digest: string; dtype: string };
  limits: { maxUpdateBytes: number };
  deadline?: string;
}

/** Status codes that mean "this will not work if repeated". */
const PERMANENT = (status: number): boolean =>
  status >= 400 && status < 500 && status !== 408 && status !== 429;

export class HandoffError extends Error {
  override name = 'HandoffError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A minimal client of the trainer handoff endpoint: bearer token on every call, retries with
 * backoff on connection errors and 5xx (the agent may be restarting), never on 4xx.
 */
export class HandoffClient {
  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly attempts = 6,
  ) {}

  async task(): Promise<HandoffTask> {
    return (await this.call('GET', 'task')).json() as Promise<HandoffTask>;
  }

  /** The global model bytes, checked against the digest the task announced. */
  async model(expectedDigest?: string): Promise<Buffer> {
    const buf = Buffer.from(await (await this.call('GET', 'model')).arrayBuffer());
    const digest = `sha256:${createHash('sha256').update(buf).digest('hex')}`;
    if (expectedDigest && digest !== expectedDigest)
      throw new Error(`model digest ${digest}, task says ${expectedDigest}`);
    return buf;
  }

  async metrics(m: Record<string, number>): Promise<void> {
    await this.call('PUT', 'metrics', JSON.stringify(m), { 'Content-Type': 'application/json' });
  }

  async progress(p: { fraction?: number; epoch?: number; message?: string }): Promise<void> {
    await this.call('POST', 'progress', JSON.stringify(p), { 'Content-Type': 'application/json' });
  }

  async update(body: Buffer, examples: number): Promise<{ digest: string; bytes: number }> {
    const res = await this.call('PUT', 'update', body, {
      'Content-Type': 'application/octet-stream',
      'X-FL-Examples': String(examples),
    });
    return res.json() as Promise<{ digest: string; bytes: number }>;
  }

  async fail(reason: string): Promise<void> {
    await this.call('POST', 'fail', JSON.stringify({ reason }), { 'Content-Type': 'application/json' });
  }

  private async call(
    method: string,
    op: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    let delay = 250;
    for (let attempt = 1; ; attempt++) {
      let res: Response | undefined;
      let cause: unknown;
      try {
        res = await fetch(`${this.url}/${op}`, {
          method,
          headers: { Authorization: `Bearer ${this.token}`, ...headers },
          ...(body !== undefined ? { body } : {}),
        });
        if (res.ok) return res;
        const text = await res.text();
        const reason = safeError(text) ?? `HTTP ${res.status}`;
        if (PERMANENT(res.status))
          throw new HandoffError(res.status, `${method} ${op}: ${res.status} ${reason}`);
        cause = new HandoffError(res.status, reason);
      } catch (e) {
        if (e instanceof HandoffError) throw e;
        cause = e;
      }
      // A 409 after a retried update means the first attempt got through; callers may treat it as done.
      if (attempt >= this.attempts)
        throw new Error(`${method} ${op} failed after ${attempt} attempts`, { cause });
      await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
      delay = Math.min(delay * 2, 8000);
    }
  }
}

function safeError(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { error?: string }).error;
  } catch {
    return text.slice(0, 200) || undefined;
  }
}
