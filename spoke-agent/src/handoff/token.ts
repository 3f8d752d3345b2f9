import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh round token: 256 random bits, base64url (43 characters, safe in headers and env). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens must be 32..256 printable characters so a caller-supplied one cannot be trivially weak. */
export function isAcceptableToken(token: string): boolean {
  return /^[A-Za-z0-9._~+/=-]{32,256}$/.test(token);
}

/** Constant-time comparison; hashing first makes the lengths equal so length does not leak either. */
export function tokensEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer +([^\s]+)\s*$/i.exec(header ?? '');
  return m?.[1];
}
