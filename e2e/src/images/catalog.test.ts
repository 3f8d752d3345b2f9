import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseImages, discoverImages, normalizeRef } from './catalog.js';
import { REPO_ROOT } from '../scenarios/images.js';
import { dockerignoreMatcher } from './context-hash.js';

describe('image catalog', () => {
  it('takes FROM images but not earlier stages', () => {
    const df =
      'FROM node:20 AS build\nRUN x\nFROM build AS two\nfrom --platform=linux/amd64 python:3.12-slim\n';
    expect(baseImages(df)).toEqual(['node:20', 'python:3.12-slim']);
  });

  it('normalises Docker Hub references', () => {
    expect(normalizeRef('node:20-bookworm')).toBe('docker.io/library/node:20-bookworm');
    expect(normalizeRef('flwr/base')).toBe('docker.io/flwr/base:latest');
    expect(normalizeRef('127.0.0.1:5000/a/b:v1')).toBe('127.0.0.1:5000/a/b:v1');
  });

  it("lists the project's Dockerfiles under the names the manifests use", () => {
    const refs = discoverImages(REPO_ROOT).map((i) => i.ref);
    expect(refs).toEqual(
      expect.arrayContaining([
        'quay.io/open-cluster-management/federated-learning-hub-manager:latest',
        'quay.io/open-cluster-management/federated-learning-agent:latest',
        'quay.io/open-cluster-management/federated-learning-mnist-trainer:latest',
      ]),
    );
  });

  it('picks up a new trainer directory without a code change', () => {
    const root = mkdtempSync(join(tmpdir(), 'catalog-'));
    mkdirSync(join(root, 'e2e/trainers/flower-x'), { recursive: true });
    writeFileSync(join(root, 'e2e/trainers/flower-x/Dockerfile'), 'FROM python:3.12-slim\n');
    expect(discoverImages(root)).toEqual([
      {
        dir: 'e2e/trainers/flower-x',
        dockerfile: 'e2e/trainers/flower-x/Dockerfile',
        ref: 'quay.io/open-cluster-management/federated-learning-flower-x:latest',
        bases: ['docker.io/library/python:3.12-slim'],
      },
    ]);
  });
});

describe('.dockerignore matcher', () => {
  it('matches directories, ** globs and extensions as the repo uses them', () => {
    const ignored = dockerignoreMatcher(['.git', '**/node_modules', 'out', '**/*.log', '# comment']);
    expect(ignored('node_modules/x/y.js')).toBe(true);
    expect(ignored('e2e/node_modules/a')).toBe(true);
    expect(ignored('out/images.json')).toBe(true);
    expect(ignored('a/b/c.log')).toBe(true);
    expect(ignored('outside/x.ts')).toBe(false);
    expect(ignored('hub-manager/src/cli.ts')).toBe(false);
  });
});
