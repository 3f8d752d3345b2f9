import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger, redact } from './logger.js';

describe('redact', () => {
  it('hides secret fields and PEM blocks but keeps the rest', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----';
    const out = redact({
      cluster: 'c1',
      tlsKey: 'x',
      nested: { msg: `got ${pem} here` },
      list: [{ token: 't' }],
    });
    expect(out).toEqual({
      cluster: 'c1',
      tlsKey: '[redacted]',
      nested: { msg: 'got [redacted pem] here' },
      list: [{ token: '[redacted]' }],
    });
  });
});

describe('errors in log lines', () => {
  /** The JSON lines a real logger from createLogger writes, captured from its transport. */
  function capture(): { log: winston.Logger; lines: Array<Record<string, unknown>> } {
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger('test', 'debug');
    log.clear();
    const stream = new Writable({
      write(chunk: Buffer, _enc, next) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        next();
      },
    });
    log.add(new winston.transports.Stream({ stream }));
    return { log, lines };
  }

  it('keeps the cause chain, with codes and redaction', async () => {
    const { log, lines } = capture();
    const root = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    const mid = new Error('cannot read -----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----', {
      cause: root,
    });
    log.error('publish failed', { error: new Error('state not published', { cause: mid }) });
    await new Promise((r) => setImmediate(r));
    expect(lines[0]!.error).toEqual({
      name: 'Error',
      message: 'state not published',
      cause: {
        name: 'Error',
        message: 'cannot read [redacted pem]',
        cause: { name: 'Error', message: 'connect ECONNREFUSED 10.0.0.1:443', code: 'ECONNREFUSED' },
      },
    });
  });

  it('lists the members of an AggregateError, each with its own cause', async () => {
    const { log, lines } = capture();
    const err = new AggregateError(
      [new Error('apply ManifestWork', { cause: new Error('409 conflict') }), 'a string reason'],
      '2 step(s) failed',
    );
    log.warn('reconcile failed', { error: err });
    await new Promise((r) => setImmediate(r));
    expect(lines[0]!.error).toEqual({
      name: 'AggregateError',
      message: '2 step(s) failed',
      errors: [
        { name: 'Error', message: 'apply ManifestWork', cause: { name: 'Error', message: '409 conflict' } },
        'a string reason',
      ],
    });
  });

  it('stops at a cyclic cause', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(JSON.stringify(redact({ e: a }))).toContain('"message":"a"');
  });
});
