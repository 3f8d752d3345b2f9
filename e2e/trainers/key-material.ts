import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const PEM = /-----BEGIN [A-Z0-9 ]*(PRIVATE KEY|CERTIFICATE)-----/;
const SUSPECT_NAME = /(^|_)(KEY|CERT|CERTIFICATE|KUBECONFIG|PASSWORD|CA)($|_)/i;
const SUSPECT_FILE = /^(tls\.(key|crt)|ca\.crt|.*\.pem|.*\.key|kubeconfig)$/i;

/**
 * Everything in a trainer's environment and given folders that looks like key material or hub
 * credentials: PEM blocks, key/cert-named variables, tls.key-like files. Empty means clean.
 */
export async function findKeyMaterial(
  env: Readonly<Record<string, string>>,
  dirs: readonly string[],
): Promise<string[]> {
  const found: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (PEM.test(v)) found.push(`env ${k} holds a PEM block`);
    if (SUSPECT_NAME.test(k)) found.push(`env ${k} is named like a credential`);
  }
  for (const dir of dirs) {
    for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const path = join(e.parentPath, e.name);
      if (SUSPECT_FILE.test(e.name)) found.push(`file ${path} is named like a key or certificate`);
      const head = (await readFile(path)).subarray(0, 1 << 20).toString('latin1');
      if (PEM.test(head)) found.push(`file ${path} holds a PEM block`);
    }
  }
  return found;
}
