import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest } from '@ocm-fl/common/model/safetensors.js';
import { runHubMode } from './hub-modes.js';

describe('trainer hub modes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-modes-'));

  it('writes the initial model and evaluates it on the held-out digits', () => {
    const model = join(dir, 'job', 'initial.safetensors'); // the job dir does not exist yet
    expect(runHubMode({ FL_MODE: 'init-model', FL_MODEL_OUT: model, FL_PARAMETERS: '{"seed":3}' })).toBe(
      true,
    );
    const names = parseManifest(readFileSync(model)).tensors.map((t) => t.name);
    expect(names).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);
    const out = join(dir, 'evaluation.json');
    expect(runHubMode({ FL_MODE: 'evaluate', FL_MODEL_PATH: model, FL_EVALUATION_OUT: out })).toBe(true);
    const ev = JSON.parse(readFileSync(out, 'utf8')) as {
      accuracy: number;
      perClassAccuracy: number[];
      examples: number;
    };
    expect(ev.perClassAccuracy).toHaveLength(10);
    expect(ev.examples).toBeGreaterThan(1000);
    expect(ev.accuracy).toBeLessThan(0.3); // an untrained model is near chance
    expect(readdirSync(join(dir, 'job')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('leaves training to the caller and refuses unknown modes', () => {
    expect(runHubMode({})).toBe(false);
    expect(runHubMode({ FL_MODE: 'train' })).toBe(false);
    expect(() => runHubMode({ FL_MODE: 'bake' })).toThrow(/FL_MODE=bake/);
    expect(() => runHubMode({ FL_MODE: 'evaluate' })).toThrow(/FL_MODEL_PATH must be set/);
  });
});
