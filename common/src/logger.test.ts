import { describe, expect, it } from '@jest/globals';
import { redact } from './logger.js';

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
