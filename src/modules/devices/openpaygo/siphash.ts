/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012), the keyed hash OpenPAYGO Token is built on.
 *
 * The key is 16 bytes read as two little-endian 64-bit words k0 and k1, the message is any byte
 * string, and the result is the standard 64-bit output. Each 64-bit word is held as two unsigned
 * 32-bit halves in plain numbers: V8 keeps those in registers, where BigInt allocates on every
 * operation (bench:tokens measured the BigInt version about 20x slower). A token walks the
 * device's code chain one hash per count, so minting costs `newCount` hashes: the hot path
 * (sipHash24Word) takes a pre-read key and one 8-byte message and allocates nothing.
 */

/** A key read once: k0 low, k0 high, k1 low, k1 high (32-bit halves). */
export type SipKey = Readonly<Uint32Array>;

/** The hash as two 32-bit halves: [low, high]. Reused by sipHash24Word; copy it to keep it. */
export type SipHash = Uint32Array;

const state = new Uint32Array(8); // v0 lo/hi, v1 lo/hi, v2 lo/hi, v3 lo/hi
const result = new Uint32Array(2);

function readU32LE(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

/** Reads a 16-byte key into its four 32-bit halves (do it once per key). */
export function sipKey(key: Uint8Array): SipKey {
  if (key.length !== 16) throw new RangeError(`SipHash key must be 16 bytes, got ${key.length}`);
  return Uint32Array.of(readU32LE(key, 0), readU32LE(key, 4), readU32LE(key, 8), readU32LE(key, 12));
}

function init(k: SipKey): void {
  state[0] = k[0]! ^ 0x70736575;
  state[1] = k[1]! ^ 0x736f6d65;
  state[2] = k[2]! ^ 0x6e646f6d;
  state[3] = k[3]! ^ 0x646f7261;
  state[4] = k[0]! ^ 0x6e657261;
  state[5] = k[1]! ^ 0x6c796765;
  state[6] = k[2]! ^ 0x79746573;
  state[7] = k[3]! ^ 0x74656462;
}

/** `rounds` SipRounds on the state, with 64-bit adds and rotations done on 32-bit halves. */
function sipRounds(rounds: number): void {
  let v0l = state[0]!,
    v0h = state[1]!,
    v1l = state[2]!,
    v1h = state[3]!,
    v2l = state[4]!,
    v2h = state[5]!,
    v3l = state[6]!,
    v3h = state[7]!;
  let l: number, h: number;
  for (let r = 0; r < rounds; r++) {
    // v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
    l = (v0l + v1l) >>> 0;
    v0h = (v0h + v1h + (l < v0l ? 1 : 0)) >>> 0;
    v0l = l;
    h = ((v1h << 13) | (v1l >>> 19)) >>> 0;
    l = ((v1l << 13) | (v1h >>> 19)) >>> 0;
    v1h = (h ^ v0h) >>> 0;
    v1l = (l ^ v0l) >>> 0;
    l = v0l;
    v0l = v0h;
    v0h = l;
    // v2 += v3; v3 = rotl(v3, 16) ^ v2
    l = (v2l + v3l) >>> 0;
    v2h = (v2h + v3h + (l < v2l ? 1 : 0)) >>> 0;
    v2l = l;
    h = ((v3h << 16) | (v3l >>> 16)) >>> 0;
    l = ((v3l << 16) | (v3h >>> 16)) >>> 0;
    v3h = (h ^ v2h) >>> 0;
    v3l = (l ^ v2l) >>> 0;
    // v0 += v3; v3 = rotl(v3, 21) ^ v0
    l = (v0l + v3l) >>> 0;
    v0h = (v0h + v3h + (l < v0l ? 1 : 0)) >>> 0;
    v0l = l;
    h = ((v3h << 21) | (v3l >>> 11)) >>> 0;
    l = ((v3l << 21) | (v3h >>> 11)) >>> 0;
    v3h = (h ^ v0h) >>> 0;
    v3l = (l ^ v0l) >>> 0;
    // v2 += v1; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
    l = (v2l + v1l) >>> 0;
    v2h = (v2h + v1h + (l < v2l ? 1 : 0)) >>> 0;
    v2l = l;
    h = ((v1h << 17) | (v1l >>> 15)) >>> 0;
    l = ((v1l << 17) | (v1h >>> 15)) >>> 0;
    v1h = (h ^ v2h) >>> 0;
    v1l = (l ^ v2l) >>> 0;
    l = v2l;
    v2l = v2h;
    v2h = l;
  }
  state[0] = v0l;
  state[1] = v0h;
  state[2] = v1l;
  state[3] = v1h;
  state[4] = v2l;
  state[5] = v2h;
  state[6] = v3l;
  state[7] = v3h;
}

/** One message word through the compression: v3 ^= m, two rounds, v0 ^= m. */
function absorb(lo: number, hi: number): void {
  state[6]! ^= lo;
  state[7]! ^= hi;
  sipRounds(2);
  state[0]! ^= lo;
  state[1]! ^= hi;
}

function finish(): SipHash {
  state[4]! ^= 0xff;
  sipRounds(4);
  result[0] = state[0]! ^ state[2]! ^ state[4]! ^ state[6]!;
  result[1] = state[1]! ^ state[3]! ^ state[5]! ^ state[7]!;
  return result;
}

/**
 * SipHash-2-4 of the 8-byte message whose little-endian 64-bit value is (hi, lo), under a pre-read
 * key. Returns [low, high] in a shared array, overwritten by the next call.
 */
export function sipHash24Word(k: SipKey, lo: number, hi: number): SipHash {
  init(k);
  absorb(lo >>> 0, hi >>> 0);
  absorb(0, 0x08000000); // the last block: no bytes left, the length 8 in the top byte
  return finish();
}

/** SipHash-2-4 of any message: [low, high] in a shared array, overwritten by the next call. */
export function sipHash24Halves(k: SipKey, message: Uint8Array): SipHash {
  init(k);
  const len = message.length;
  const fullBlocksEnd = len - (len % 8);
  for (let off = 0; off < fullBlocksEnd; off += 8) absorb(readU32LE(message, off), readU32LE(message, off + 4));
  // Last block: the remaining 0..7 bytes little-endian, with the message length (mod 256) on top.
  const tail = new Uint8Array(8);
  tail.set(message.subarray(fullBlocksEnd));
  tail[7] = len & 0xff;
  absorb(readU32LE(tail, 0), readU32LE(tail, 4));
  return finish();
}

/** SipHash-2-4 of `message` under the 16-byte `key`, as an unsigned 64-bit BigInt. */
export function sipHash24(key: Uint8Array, message: Uint8Array): bigint {
  const [lo, hi] = sipHash24Halves(sipKey(key), message);
  return (BigInt(hi!) << 32n) | BigInt(lo!);
}

/** The same hash as the 8 output bytes in the reference implementation's (little-endian) order. */
export function sipHash24Bytes(key: Uint8Array, message: Uint8Array): Buffer {
  const [lo, hi] = sipHash24Halves(sipKey(key), message);
  const out = Buffer.alloc(8);
  out.writeUInt32LE(lo!, 0);
  out.writeUInt32LE(hi!, 4);
  return out;
}
