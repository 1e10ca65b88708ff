/**
 * The BigInt SipHash-2-4 that src/modules/devices/openpaygo/siphash.ts replaced (until 2026-12),
 * kept only as bench:tokens's baseline: the same hash on 64-bit BigInts, which allocate on every
 * operation. Not used by the application.
 */
const MASK64 = (1n << 64n) - 1n;

function rotl(x: bigint, b: bigint): bigint {
  return ((x << b) | (x >> (64n - b))) & MASK64;
}

function readU64LE(bytes: Uint8Array, offset: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i]!);
  return v;
}

/** SipHash-2-4 of `message` under the 16-byte `key`, as an unsigned 64-bit BigInt. */
export function sipHash24(key: Uint8Array, message: Uint8Array): bigint {
  if (key.length !== 16) throw new RangeError(`SipHash key must be 16 bytes, got ${key.length}`);
  const k0 = readU64LE(key, 0);
  const k1 = readU64LE(key, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;

  const round = (): void => {
    v0 = (v0 + v1) & MASK64;
    v1 = rotl(v1, 13n);
    v1 ^= v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK64;
    v3 = rotl(v3, 16n);
    v3 ^= v2;
    v0 = (v0 + v3) & MASK64;
    v3 = rotl(v3, 21n);
    v3 ^= v0;
    v2 = (v2 + v1) & MASK64;
    v1 = rotl(v1, 17n);
    v1 ^= v2;
    v2 = rotl(v2, 32n);
  };

  const len = message.length;
  const fullBlocksEnd = len - (len % 8);
  for (let off = 0; off < fullBlocksEnd; off += 8) {
    const m = readU64LE(message, off);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }

  // Last block: the remaining 0..7 bytes little-endian, with the message length (mod 256) on top.
  let b = BigInt(len & 0xff) << 56n;
  for (let i = (len % 8) - 1; i >= 0; i--) b |= BigInt(message[fullBlocksEnd + i]!) << BigInt(8 * i);
  v3 ^= b;
  round();
  round();
  v0 ^= b;

  v2 ^= 0xffn;
  round();
  round();
  round();
  round();
  return (v0 ^ v1 ^ v2 ^ v3) & MASK64;
}
