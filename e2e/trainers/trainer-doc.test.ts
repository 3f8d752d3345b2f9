import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors } from '@ocm-fl/common/model/safetensors.js';
import { HandoffServer } from '@ocm-fl/spoke-agent/handoff/handoff-server.js';
import { TrainerFailedError } from '@ocm-fl/spoke-agent/handoff/types.js';
import { runTrainer } from './fed-loop.js';
import { initialModel } from './mnist-ts/init-model.js';

/** The minimal Python trainer printed in spoke-agent/TRAINER.md, so the document cannot rot. */
async function docExample(): Promise<string> {
  const md = await readFile('spoke-agent/TRAINER.md', 'utf8');
  const section = md.slice(md.indexOf('## 10.'));
  const m = /```python\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('no python example in TRAINER.md section 10');
  return m[1] as string;
}

describe('the minimal trainer in TRAINER.md', () => {
  let dir: string;
  let server: HandoffServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trainer-doc-'));
    server = await HandoffServer.start({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(name: string, training: string, dtype: 'F32' | 'F16') {
    const script = join(dir, `${name}.py`);
    await writeFile(script, `${training}\n${await docExample()}`);
    const modelPath = join(dir, `${name}.safetensors`);
    await writeFile(modelPath, initialModel({ seed: 2, dtype }));
    return runTrainer(server, {
      client: { name, command: ['/usr/bin/python3', script], location: '/data/private/cluster1' },
      round: 1,
      rounds: 1,
      modelPath,
      parameters: {},
      baseDir: dir,
      cwd: dir,
    });
  }

  it.each(['F32', 'F16'] as const)('uploads an accepted update with metrics (%s)', async (dtype) => {
    const r = await run(
      `ok-${dtype}`,
      'def my_training(w, data_dir, params):\n    w["fc2.bias"] += 0.5\n    return 5, 0.25\n',
      dtype,
    );
    expect(r.exitCode).toBe(0);
    if (r.outcome.status !== 'fulfilled') throw r.outcome.reason;
    expect(r.outcome.value).toMatchObject({ examples: 5, metrics: { loss: 0.25 } });
    const bias = decodeSafetensors(await readFile(r.outcome.value.updatePath)).tensors.find(
      (t) => t.name === 'fc2.bias',
    );
    expect([...(bias?.values ?? [])]).toEqual(new Array(10).fill(0.5));
  });

  it('reports an exception through /fail and exits 1', async () => {
    const r = await run(
      'boom',
      'def my_training(w, data_dir, params):\n    raise MemoryError("out of memory")\n',
      'F32',
    );
    expect(r.exitCode).toBe(1);
    expect(r.outcome.status).toBe('rejected');
    const reason = (r.outcome as PromiseRejectedResult).reason as Error;
    expect(reason).toBeInstanceOf(TrainerFailedError);
    expect(reason.message).toContain("MemoryError('out of memory')");
  });
});
