/**
 * The two protobuf messages the gateway reads or writes itself, in wire format: Control API
 * `RegisterNodeRequest { bytes public_key = 1; }` and `RegisterNodeResponse { uint64 node_id = 1; }`
 * (flwr 1.42 proto/control.proto). Too small to justify a protobuf runtime.
 */
function varint(n: bigint): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

export function encodeRegisterNode(publicKeyPem: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x0a]), varint(BigInt(publicKeyPem.length)), publicKeyPem]);
}

function readVarint(buf: Buffer, at: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const b = buf[i] ?? 0;
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
    shift += 7n;
  }
  throw new Error('truncated varint');
}

/** Field 1 (varint) of a message, as a decimal string; other fields are skipped. */
export function decodeNodeId(buf: Buffer): string {
  let at = 0;
  while (at < buf.length) {
    const key = readVarint(buf, at);
    at = key.next;
    const field = key.value >> 3n;
    const wire = Number(key.value & 7n);
    if (wire === 0) {
      const v = readVarint(buf, at);
      if (field === 1n) return v.value.toString();
      at = v.next;
    } else if (wire === 2) {
      const len = readVarint(buf, at);
      at = len.next + Number(len.value);
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  throw new Error('no node_id in the response');
}
