import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { federatedLearningCrd } from '@ocm-fl/common/api/crds/federated-learning-crd.js';
import { CHART_CRD_PATH, renderCrdYaml } from './write-crd.js';

describe('chart CRD copy', () => {
  it('matches the TypeScript CRD (regenerate with npx tsx hub-manager/src/fl/write-crd.ts)', () => {
    const chart = readFileSync(resolve(process.cwd(), CHART_CRD_PATH), 'utf8');
    expect(chart).toBe(renderCrdYaml());
  });

  it('parses back to the same object', () => {
    expect(parse(renderCrdYaml())).toEqual(federatedLearningCrd());
  });
});
