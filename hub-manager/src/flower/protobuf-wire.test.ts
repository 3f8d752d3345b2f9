import { describe, expect, it } from '@jest/globals';
import { decodeNodeId, encodeRegisterNode } from './protobuf-wire.js';

describe('protobuf wire format of the Control API register-node call', () => {
  it('encodes the public key as field 1 with a varint length', () => {
    const key = Buffer.alloc(200, 0x41);
    const msg = encodeRegisterNode(key);
    expect([...msg.subarray(0, 3)]).toEqual([0x0a, 0xc8, 0x01]);
    expect(msg.subarray(3).equals(key)).toBe(true);
  });
  it('decodes a uint64 node id beyond 2^53 exactly, skipping other fields', () => {
    // field 2 (bytes "xy"), then field 1 = 18446744073709551615 (max uint64)
    const msg = Buffer.from([
      0x12, 0x02, 0x78, 0x79, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    expect(decodeNodeId(msg)).toBe('18446744073709551615');
    expect(() => decodeNodeId(Buffer.from([0x12, 0x00]))).toThrow(/no node_id/);
    expect(() => decodeNodeId(Buffer.from([0x08, 0xff]))).toThrow(/truncated/);
  });
});
