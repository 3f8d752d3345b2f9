import { describe, expect, it } from '@jest/globals';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findKeyMaterial } from './key-material.js';

describe('findKeyMaterial', () => {
  it('finds PEM blocks and credential-like names in env and files, and nothing in a clean setup', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keys-'));
    try {
      await writeFile(join(dir, 'model.safetensors'), Buffer.alloc(64));
      expect(await findKeyMaterial({ FL_HANDOFF_TOKEN: 'abc', PATH: '/bin' }, [dir])).toEqual([]);
      await mkdir(join(dir, 'nested'));
      await writeFile(join(dir, 'nested', 'tls.key'), 'x');
      await writeFile(
        join(dir, 'notes.txt'),
        'a\n-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n',
      );
      const found = await findKeyMaterial({ TLS_KEY: 'x', X: '-----BEGIN CERTIFICATE-----' }, [dir]);
      expect(found).toEqual(
        expect.arrayContaining([
          'env TLS_KEY is named like a credential',
          'env X holds a PEM block',
          `file ${join(dir, 'nested', 'tls.key')} is named like a key or certificate`,
          `file ${join(dir, 'notes.txt')} holds a PEM block`,
        ]),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
