/** Bench helper: write a buffer to a stream in slices, honouring back-pressure, then end it. */
import type { Writable } from 'node:stream';

export function pumpBuffer(out: Writable, buf: Buffer, slice: number): void {
  let at = 0;
  const pump = (): void => {
    while (at < buf.length) {
      const part = buf.subarray(at, at + slice);
      at += part.length;
      if (!out.write(part)) return void out.once('drain', pump);
    }
    out.end();
  };
  pump();
}
