/**
 * Hash of the build context as `docker build` would send it: every file git tracks or would
 * track (untracked, not ignored), minus the `.dockerignore` patterns, by path and content.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A small `.dockerignore` matcher: `**` / `*` globs and directory prefixes, as this repo uses them. */
export function dockerignoreMatcher(patterns: readonly string[]): (path: string) => boolean {
  const res = patterns
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'))
    .map((l) => {
      const body = l
        .replace(/^\/+|\/+$/g, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '%GLOBSTAR%')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/%GLOBSTAR%/g, '(?:.*/)?');
      return new RegExp(`^${body}(?:/.*)?$`);
    });
  return (path) => res.some((r) => r.test(path));
}

export async function contextHash(repoRoot: string): Promise<string> {
  const ignoreFile = join(repoRoot, '.dockerignore');
  const ignored = dockerignoreMatcher(
    existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8').split('\n') : [],
  );
  const { stdout } = await run('git', ['ls-files', '-z', '-co', '--exclude-standard'], {
    cwd: repoRoot,
    maxBuffer: 64 << 20,
  });
  const h = createHash('sha256');
  for (const f of stdout
    .split('\0')
    .filter((x) => x && !ignored(x))
    .sort()) {
    const abs = join(repoRoot, f);
    if (!existsSync(abs)) continue; // deleted in the work tree
    h.update(f).update('\0').update(readFileSync(abs)).update('\0');
  }
  return h.digest('hex');
}
