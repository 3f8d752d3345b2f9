import winston from 'winston';

/** Keys whose values never reach a log line: private keys, certificates, tokens. */
const SECRET_KEY = /(privatekey|keypem|tlskey|tls\.key|password|secret|token|authorization)$/i;
const PEM = /-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g;

/** Replace secret-looking fields and any PEM block with a marker; pure, exported for tests. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(PEM, '[redacted pem]');
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return errorRecord(value, depth);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      SECRET_KEY.test(k) && (typeof v === 'string' || Buffer.isBuffer(v))
        ? '[redacted]'
        : redact(v, depth + 1);
  }
  return out;
}

/**
 * An Error as plain data: name, message and code, and what explains it — the `cause` chain and
 * an AggregateError's members ("2 step(s) failed" alone says nothing) — redacted like the rest.
 */
function errorRecord(e: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { message: redact(e.message), name: e.name };
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (depth > 6) return out; // deep or cyclic chains end here
  if (e instanceof AggregateError) out.errors = (e.errors as unknown[]).map((m) => redact(m, depth + 1));
  if (e.cause !== undefined) out.cause = redact(e.cause, depth + 1);
  return out;
}

const redactFormat = winston.format((info) => {
  const cleaned = redact({ ...info }) as Record<string, unknown>;
  for (const k of Object.keys(cleaned)) (info as Record<string, unknown>)[k] = cleaned[k];
  return info;
});

export type Logger = winston.Logger;

/** One JSON logger per process; components take a child with `component` set. */
export function createLogger(component: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { component },
    format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}

/** A logger that drops everything; for library code whose caller passes none. */
export const silentLogger: Logger = winston.createLogger({
  silent: true,
  transports: [new winston.transports.Console()],
});
