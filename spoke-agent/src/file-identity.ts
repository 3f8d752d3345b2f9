/**
 * Interim AgentIdentity over the mounted files (client-cert Secret dir with tls.crt/tls.key,
 * CA bundle file), re-read when a file changes. main.ts uses it until the identity module
 * (./identity/, hot reload with watches) is wired in; it keeps the same contract.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { TlsMaterial } from '@ocm-fl/common/dataplane/client.js';
import type { AgentIdentity } from './agent.js';

interface Loaded {
  readonly stamp: string;
  readonly tls: TlsMaterial;
  readonly notAfter: Date;
}

/** Read and check the files; throws a message naming the file at fault. */
export function loadIdentityFiles(certDir: string, caFile: string): Omit<Loaded, 'stamp'> {
  const certFile = path.join(certDir, 'tls.crt');
  const keyFile = path.join(certDir, 'tls.key');
  const read = (f: string): Buffer => {
    try {
      return readFileSync(f);
    } catch (e) {
      throw new Error(`${f}: cannot read (is the client certificate Secret mounted and signed yet?)`, { cause: e });
    }
  };
  const cert = read(certFile);
  const key = read(keyFile);
  const ca = read(caFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw new Error(`${certFile}: not a PEM certificate`, { cause: e });
  }
  let matches = false;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch (e) {
    throw new Error(`${keyFile}: not a PEM private key`, { cause: e });
  }
  if (!matches) throw new Error(`${keyFile} does not belong to the certificate in ${certFile}`);
  return { tls: { cert, key, ca }, notAfter: new Date(x509.validTo) };
}

function stampOf(files: readonly string[]): string {
  return files.map((f) => `${statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0}`).join('|');
}

export class FileIdentity implements AgentIdentity {
  private loaded: Loaded;
  private lastError: string | undefined;

  /** Throws (naming the file) when the files are missing or the key does not match. */
  constructor(
    private readonly certDir: string,
    private readonly caFile: string,
  ) {
    this.loaded = { ...loadIdentityFiles(certDir, caFile), stamp: this.stamp() };
  }

  private stamp(): string {
    return stampOf([path.join(this.certDir, 'tls.crt'), path.join(this.certDir, 'tls.key'), this.caFile]);
  }

  private refresh(): void {
    const s = this.stamp();
    if (s === this.loaded.stamp) return;
    try {
      this.loaded = { ...loadIdentityFiles(this.certDir, this.caFile), stamp: s };
      this.lastError = undefined;
    } catch (e) {
      // Mid-rotation the pair can be briefly inconsistent: keep serving the last good one.
      this.lastError = e instanceof Error ? e.message : String(e);
    }
  }

  tls(): TlsMaterial {
    this.refresh();
    return this.loaded.tls;
  }

  expiry(): Date | undefined {
    this.refresh();
    return this.loaded.notAfter;
  }

  notReady(): string | undefined {
    this.refresh();
    if (this.loaded.notAfter.getTime() < Date.now()) return `client certificate expired at ${this.loaded.notAfter.toISOString()}`;
    return this.lastError ? `reload failed, using the previous certificate: ${this.lastError}` : undefined;
  }
}
