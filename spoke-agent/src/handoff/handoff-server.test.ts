import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, type Tensor } from '@ocm-fl/common/model/safetensors.js';
import { HandoffServer } from './handoff-server.js';
import { RoundClosedError, TrainerFailedError, type OpenRoundOptions, type RoundHandle } from './types.js';

function tensors(scale: number): Tensor[] {
  const w = new Float32Array(4 * 300).map((_, i) => (i % 17) * scale);
  return [
    { name: 'a.bias', dtype: 'F32', shape: [4], values: new Float32Array([1, 2, 3, 4]) },
    { name: 'a.weight', dtype: 'F32', shape: [4, 300], values: w },
  ];
}
const MODEL = encodeSafetensors(tensors(1), { kind: 'global' });
const UPDATE = encodeSafetensors(tensors(0.5), { kind: 'update' });
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Raw node:http client so tests control chunking, Content-Length and partial bodies. */
function call(
  url: string,
  opts: {
    method?: string;
    token?: string;
    headers?: Record<string, string>;
    body?: Buffer[];
    end?: boolean;
  } = {},
): { reply: Promise<Reply>; write: (b: Buffer) => void; end: () => void } {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  const req = request(url, { method: opts.method ?? 'GET', headers });
  const reply = new Promise<Reply>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  for (const b of opts.body ?? []) req.write(b);
  if (opts.end !== false) req.end();
  return { reply, write: (b) => void req.write(b), end: () => void req.end() };
}

const put = (
  r: RoundHandle,
  body: Buffer,
  headers: Record<string, string> = { 'X-FL-Examples': '42' },
): Promise<Reply> =>
  call(`${r.url}/update`, {
    method: 'PUT',
    token: r.token,
    headers: { 'Content-Length': String(body.length), ...headers },
    body: [body],
  }).reply;
const errorOf = (r: Reply): string => (JSON.parse(r.body.toString()) as { error: string }).error;

describe('HandoffServer', () => {
  let server: HandoffServer;
  let dir: string;
  let modelPath: string;
  let n = 0;

  beforeAll(async () => {
    server = await HandoffServer.start({ host: '127.0.0.1', port: 0 });
    dir = await mkdtemp(join(tmpdir(), 'handoff-'));
    modelPath = join(dir, 'global.safetensors');
    await writeFile(modelPath, MODEL);
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(extra: Partial<OpenRoundOptions> = {}): Promise<RoundHandle & { workDir: string }> {
    n++;
    const workDir = join(dir, `work-${n}`);
    const r = await server.openRound({
      roundId: `job-a-r${n}`,
      task: {
        round: 3,
        rounds: 10,
        job: { namespace: 'ns', name: 'job-a' },
        cluster: 'cluster1',
        parameters: { epochs: 2, lr: 0.1 },
        strategy: { proximalMu: '0.05' },
        data: { location: '/data/private/cluster1', dir: '/data' },
      },
      modelPath,
      workDir,
      ...extra,
    });
    return Object.assign(r, { workDir });
  }

  it('serves the task with the model description and limits to the token holder', async () => {
    const r = await open();
    expect(r.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const res = await call(`${r.url}/task`, { token: r.token }).reply;
    expect(res.status).toBe(200);
    const task = JSON.parse(res.body.toString());
    expect(task).toMatchObject({
      round: 3,
      rounds: 10,
      parameters: { epochs: 2, lr: 0.1 },
      strategy: { proximalMu: '0.05' },
      data: { location: '/data/private/cluster1' },
    });
    expect(task.model).toMatchObject({
      format: 'safetensors',
      dtype: 'F32',
      bytes: MODEL.length,
      digest: sha(MODEL),
    });
    expect(task.model.tensors.map((t: { name: string }) => t.name)).toEqual(['a.bias', 'a.weight']);
    expect(task.limits.maxUpdateBytes).toBe(MODEL.length + 64 * 1024);
    await r.close();
  });

  it('refuses a missing token, a wrong token, another round and a closed round with 401', async () => {
    const r = await open();
    const other = await open();
    const cases = [
      await call(`${r.url}/task`).reply,
      await call(`${r.url}/task`, { token: 'x'.repeat(43) }).reply,
      await call(`${r.url}/task`, { token: other.token }).reply,
      await call(`${r.url}/model`, { headers: { Authorization: r.token } }).reply,
      await call(`${server.baseUrl}/v1/rounds/nope/task`, { token: r.token }).reply,
    ];
    for (const c of cases) {
      expect(c.status).toBe(401);
      expect(c.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    await r.close();
    expect((await call(`${r.url}/task`, { token: r.token }).reply).status).toBe(401);
    await other.close();
  });

  it('serves the global model bytes with their digest', async () => {
    const r = await open();
    const res = await call(`${r.url}/model`, { token: r.token }).reply;
    expect(res.status).toBe(200);
    expect(res.body.equals(MODEL)).toBe(true);
    expect(res.headers['x-fl-model-digest']).toBe(sha(MODEL));
    expect((await call(`${r.url}/model`, { method: 'POST', token: r.token }).reply).status).toBe(405);
    await r.close();
  });

  it('stores one update atomically with its digest, examples and metrics, then answers 409', async () => {
    const r = await open();
    const m = await call(`${r.url}/metrics`, {
      method: 'PUT',
      token: r.token,
      headers: { 'Content-Type': 'application/json' },
      body: [Buffer.from(JSON.stringify({ loss: 0.25, accuracy: 0.9 }))],
    }).reply;
    expect(m.status).toBe(204);
    const res = await put(r, UPDATE);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({
      digest: sha(UPDATE),
      bytes: UPDATE.length,
      examples: 42,
    });
    const result = await r.result;
    expect(result).toMatchObject({
      examples: 42,
      digest: sha(UPDATE),
      bytes: UPDATE.length,
      metrics: { loss: 0.25, accuracy: 0.9 },
    });
    expect((await readFile(result.updatePath)).equals(UPDATE)).toBe(true);
    expect((await readdir(r.workDir)).sort()).toEqual(['result.json', 'update.safetensors']);
    const again = await put(r, UPDATE);
    expect(again.status).toBe(409);
    expect(errorOf(again)).toMatch(/already accepted/);
    const lateMetrics = await call(`${r.url}/metrics`, {
      method: 'PUT',
      token: r.token,
      body: [Buffer.from('{"loss":1}')],
    }).reply;
    expect(lateMetrics.status).toBe(409);
    await r.close();
  });

  it('answers 413 for a declared or streamed oversize update and leaves no file', async () => {
    const r = await open({ maxUpdateBytes: UPDATE.length - 1 });
    const declared = call(`${r.url}/update`, {
      method: 'PUT',
      token: r.token,
      headers: { 'Content-Length': String(UPDATE.length), 'X-FL-Examples': '1' },
      body: [UPDATE.subarray(0, 8)],
      end: false,
    });
    expect((await declared.reply).status).toBe(413);
    const chunked = call(`${r.url}/update`, {
      method: 'PUT',
      token: r.token,
      headers: { 'Transfer-Encoding': 'chunked', 'X-FL-Examples': '1' },
      body: [UPDATE],
      end: false,
    });
    const res = await chunked.reply;
    expect(res.status).toBe(413);
    expect(errorOf(res)).toMatch(/exceeds/);
    expect(await readdir(r.workDir)).toEqual([]);
    await r.close();
  });

  it('answers 400 with the reason for a mismatched, truncated, padded or non-finite update, then accepts a good one', async () => {
    const r = await open();
    const wrongShape = encodeSafetensors([
      { name: 'a.bias', dtype: 'F32', shape: [4], values: new Float32Array(4) },
      { name: 'a.weight', dtype: 'F32', shape: [300, 4], values: new Float32Array(1200) },
    ]);
    const nan = Buffer.from(UPDATE);
    nan.writeFloatLE(NaN, nan.length - 8);
    const missing = encodeSafetensors([
      { name: 'a.bias', dtype: 'F32', shape: [4], values: new Float32Array(4) },
    ]);
    const cases: [Buffer, RegExp][] = [
      [wrongShape, /a\.weight: shape \[300,4\], the global model has \[4,300\]/],
      [missing, /missing tensor a\.weight/],
      [UPDATE.subarray(0, UPDATE.length - 3), /truncated/],
      [Buffer.concat([UPDATE, Buffer.alloc(4)]), /after the last tensor/],
      [nan, /a\.weight: non-finite value .* at element 1198/],
      [Buffer.from('not safetensors at all'), /not a safetensors file/],
    ];
    for (const [body, why] of cases) {
      const res = await put(r, body);
      expect(res.status).toBe(400);
      expect(errorOf(res)).toMatch(why);
    }
    expect(errorOf(await put(r, UPDATE, {}))).toMatch(/X-FL-Examples/);
    expect((await put(r, UPDATE, { 'X-FL-Examples': '-3' })).status).toBe(400);
    expect(await readdir(r.workDir)).toEqual([]);
    expect((await put(r, UPDATE)).status).toBe(200);
    await r.close();
  });

  it('honours Expect: 100-continue: refuses before the body, or asks for it', async () => {
    const r = await open();
    const send = (length: number): Promise<{ status: number; continued: boolean }> =>
      new Promise((resolve, reject) => {
        let continued = false;
        const req = request(`${r.url}/update`, {
          method: 'PUT',
          headers: {
            Authorization: `Bearer ${r.token}`,
            Expect: '100-continue',
            'Content-Length': length,
            'X-FL-Examples': '3',
          },
        });
        req.on('continue', () => {
          continued = true;
          req.end(UPDATE);
        });
        req.on('response', (res) =>
          res.resume().on('end', () => resolve({ status: res.statusCode ?? 0, continued })),
        );
        req.on('error', reject);
        req.flushHeaders();
      });
    expect(await send(10 * 1024 * 1024)).toEqual({ status: 413, continued: false });
    expect(await send(UPDATE.length)).toEqual({ status: 200, continued: true });
    await r.close();
  });

  it('never shows a half-written update under the final name', async () => {
    const r = await open();
    const c = call(`${r.url}/update`, {
      method: 'PUT',
      token: r.token,
      headers: { 'Content-Length': String(UPDATE.length), 'X-FL-Examples': '7' },
      body: [UPDATE.subarray(0, 2000)],
      end: false,
    });
    let files: string[] = [];
    for (let i = 0; i < 200 && !files.some((f) => f.endsWith('.partial')); i++) {
      await new Promise((res) => setTimeout(res, 5));
      files = await readdir(r.workDir);
    }
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\.update-[0-9a-f]+\.partial$/);
    const concurrent = await put(r, UPDATE);
    expect(concurrent.status).toBe(409);
    expect(errorOf(concurrent)).toMatch(/in progress/);
    c.write(UPDATE.subarray(2000));
    c.end();
    expect((await c.reply).status).toBe(200);
    expect((await r.result).digest).toBe(sha(UPDATE));
    await r.close();
  });

  it('rejects the result when the trainer reports failure, and closing aborts an upload', async () => {
    const r = await open();
    const f = await call(`${r.url}/fail`, {
      method: 'POST',
      token: r.token,
      body: [Buffer.from('{"reason":"out of memory"}')],
    }).reply;
    expect(f.status).toBe(204);
    await expect(r.result).rejects.toThrow(TrainerFailedError);
    await expect(r.result).rejects.toThrow('out of memory');
    expect((await put(r, UPDATE)).status).toBe(409);
    await r.close();

    const s = await open();
    const c = call(`${s.url}/update`, {
      method: 'PUT',
      token: s.token,
      headers: { 'Content-Length': String(UPDATE.length), 'X-FL-Examples': '7' },
      body: [UPDATE.subarray(0, 100)],
      end: false,
    });
    c.reply.catch(() => undefined);
    for (let i = 0; i < 200 && (await readdir(s.workDir)).length === 0; i++)
      await new Promise((res) => setTimeout(res, 5));
    await s.close('deadline exceeded');
    await expect(s.result).rejects.toThrow(RoundClosedError);
    await expect(s.result).rejects.toThrow('deadline exceeded');
    expect(await readdir(s.workDir)).toEqual([]);
  });

  it('validates metrics and progress bodies', async () => {
    const progress: unknown[] = [];
    const r = await open({ onProgress: (p) => progress.push(p) });
    const send = (op: string, method: string, body: string): Promise<Reply> =>
      call(`${r.url}/${op}`, { method, token: r.token, body: [Buffer.from(body)] }).reply;
    expect((await send('metrics', 'PUT', '{"loss":"low"}')).status).toBe(400);
    expect((await send('metrics', 'PUT', '[1,2]')).status).toBe(400);
    expect((await send('metrics', 'PUT', '{"loss":')).status).toBe(400);
    expect((await send('metrics', 'PUT', JSON.stringify({ big: 'x'.repeat(70_000) }))).status).toBe(413);
    expect((await send('progress', 'POST', '{"fraction":2}')).status).toBe(400);
    expect((await send('progress', 'POST', '{"fraction":0.5,"epoch":1,"message":"epoch 1"}')).status).toBe(
      204,
    );
    expect((await send('fail', 'POST', '{}')).status).toBe(400);
    expect((await send('metrics', 'PUT', '{"loss":0.5,"val/accuracy":0.8}')).status).toBe(204);
    expect(progress).toEqual([{ fraction: 0.5, epoch: 1, message: 'epoch 1' }]);
    expect(r.metrics()).toEqual({ loss: 0.5, 'val/accuracy': 0.8 });
    await r.close();
  });

  it('adopts a completed result after a restart when reopened with the same round and token', async () => {
    const r = await open();
    expect((await put(r, UPDATE)).status).toBe(200);
    const first = await r.result;
    await r.close();
    await writeFile(join(r.workDir, '.update-0badc0de.partial'), 'left by a killed agent');
    const again = await server.openRound({
      roundId: r.roundId,
      token: r.token,
      task: {
        round: 3,
        rounds: 10,
        job: { namespace: 'ns', name: 'job-a' },
        cluster: 'c',
        parameters: {},
        data: { location: 'l', dir: '/d' },
      },
      modelPath,
      workDir: r.workDir,
    });
    expect(again.token).toBe(r.token);
    await expect(again.result).resolves.toEqual(first);
    expect((await readdir(r.workDir)).sort()).toEqual(['result.json', 'update.safetensors']);
    expect((await put(again, UPDATE)).status).toBe(409);
    await again.close();
    await expect(
      server.openRound({ roundId: 'bad/id', task: again as never, modelPath, workDir: dir }),
    ).rejects.toThrow(/roundId/);
  });
});
