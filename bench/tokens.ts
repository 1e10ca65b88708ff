/**
 * bench:tokens: OpenPAYGO tokens minted per second on one core (one Node thread, no database).
 *
 * Minting walks the device's code chain from its starting code, one SipHash-2-4 per count, so a
 * token at count n costs n + 1 or n + 2 hashes: the hash is the whole cost. The bench
 *  1. hashes --hashes random 8-byte messages under random keys with the application's SipHash
 *     (32-bit halves, src/modules/devices/openpaygo/siphash.ts) and with the BigInt one it replaced
 *     (bench/lib/siphash-bigint.ts), checks every pair of outputs is equal, and times both;
 *  2. mints --tokens tokens (random keys, types and values; counts uniform in 0..--max-count, a
 *     device paying daily for two years by default) through generateToken, and decodes a tenth of
 *     them back through decodeToken (the device side) as a check.
 * Each phase runs once untimed first (JIT warm-up). The last line is one JSON object.
 *
 *   npm run bench:tokens -- [--tokens 20000] [--hashes 1000000] [--max-count 730] [--seed 7] [--smoke]
 * (--smoke: 200 tokens, 5,000 hashes)
 */
import { performance } from 'node:perf_hooks';
import { sizeArg } from './lib/smoke';
import { sipHash24 as sipHash24BigInt } from './lib/siphash-bigint';
import { Random } from '../src/platform/random';
import { sipHash24Word, sipKey } from '../src/modules/devices/openpaygo/siphash';
import { decodeToken, generateToken, type OpenPaygoTokenType } from '../src/modules/devices/openpaygo/token';

const TOKENS = sizeArg('tokens', 20_000, 200);
const HASHES = sizeArg('hashes', 1_000_000, 5_000);
const MAX_COUNT = sizeArg('max-count', 730, 730);
const SEED = sizeArg('seed', 7, 7);

interface HashCase {
  key: Buffer;
  message: Buffer;
}

function bytes(random: Random, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => random.int(0, 255)));
}

function hashCases(n: number, random: Random): HashCase[] {
  return Array.from({ length: n }, () => ({ key: bytes(random, 16), message: bytes(random, 8) }));
}

/** Hashes per second of the 32-bit SipHash; the outputs go to `out` (low, high per case). */
function time32(cases: HashCase[], out: Uint32Array): number {
  const keys = cases.map((c) => sipKey(c.key));
  const words = cases.map((c) => [c.message.readUInt32LE(0), c.message.readUInt32LE(4)] as const);
  const start = performance.now();
  for (let i = 0; i < cases.length; i++) {
    const [lo, hi] = sipHash24Word(keys[i]!, words[i]![0], words[i]![1]);
    out[2 * i] = lo!;
    out[2 * i + 1] = hi!;
  }
  return cases.length / ((performance.now() - start) / 1000);
}

function timeBigInt(cases: HashCase[], out: bigint[]): number {
  const start = performance.now();
  for (let i = 0; i < cases.length; i++) out[i] = sipHash24BigInt(cases[i]!.key, cases[i]!.message);
  return cases.length / ((performance.now() - start) / 1000);
}

interface TokenCase {
  key: Buffer;
  count: number;
  type: OpenPaygoTokenType;
  value?: number;
}

function tokenCases(n: number, random: Random): TokenCase[] {
  return Array.from({ length: n }, () => {
    const kind = random.int(0, 9);
    const type: OpenPaygoTokenType = kind < 8 ? 'ADD_TIME' : kind === 8 ? 'SET_TIME' : 'DISABLE_PAYG';
    return { key: bytes(random, 16), count: random.int(0, MAX_COUNT), type, value: type === 'DISABLE_PAYG' ? undefined : random.int(1, 995) };
  });
}

function mint(cases: TokenCase[]): { seconds: number; hashes: number; tokens: string[] } {
  const tokens: string[] = [];
  let hashes = 0;
  const start = performance.now();
  for (const c of cases) {
    const t = generateToken({ key: c.key, count: c.count, type: c.type, value: c.value });
    tokens.push(t.token);
    hashes += t.newCount + 1; // the chain, and the starting code derived from the key
  }
  return { seconds: (performance.now() - start) / 1000, hashes, tokens };
}

function main(): void {
  const random = new Random(SEED);
  const log = (s: string) => process.stderr.write(`${s}\n`);

  log(`hashing ${HASHES.toLocaleString()} messages with both SipHash implementations`);
  const hashSet = hashCases(HASHES, random);
  const out32 = new Uint32Array(2 * HASHES);
  const outBig: bigint[] = new Array<bigint>(HASHES);
  time32(hashSet.slice(0, Math.min(HASHES, 10_000)), new Uint32Array(2 * Math.min(HASHES, 10_000))); // warm-up
  timeBigInt(hashSet.slice(0, Math.min(HASHES, 10_000)), []);
  const hashesPerSec = time32(hashSet, out32);
  const bigintHashesPerSec = timeBigInt(hashSet, outBig);
  let mismatches = 0;
  for (let i = 0; i < HASHES; i++) if (((BigInt(out32[2 * i + 1]!) << 32n) | BigInt(out32[2 * i]!)) !== outBig[i]) mismatches++;

  log(`minting ${TOKENS.toLocaleString()} tokens (counts 0..${MAX_COUNT})`);
  mint(tokenCases(Math.min(TOKENS, 1_000), random)); // warm-up
  const cases = tokenCases(TOKENS, random);
  const run = mint(cases);
  let undecoded = 0;
  for (let i = 0; i < cases.length; i += 10) {
    const decoded = decodeToken({ token: run.tokens[i]!, key: cases[i]!.key, lastCount: cases[i]!.count });
    if (decoded.status !== 'VALID' || decoded.type !== cases[i]!.type) undecoded++;
  }

  const round = (x: number, digits = 0) => Number(x.toFixed(digits));
  const result = {
    tokens: TOKENS,
    tokensPerSec: round(TOKENS / run.seconds),
    meanHashesPerToken: round(run.hashes / TOKENS, 1),
    tokenHashesPerSec: round(run.hashes / run.seconds),
    hashesPerSec: round(hashesPerSec),
    bigintHashesPerSec: round(bigintHashesPerSec),
    speedup: round(hashesPerSec / bigintHashesPerSec, 1),
    mismatches,
    undecoded,
  };
  log(
    `${result.tokensPerSec.toLocaleString()} tokens/s (${result.meanHashesPerToken} hashes each); SipHash ${result.hashesPerSec.toLocaleString()}/s ` +
      `vs BigInt ${result.bigintHashesPerSec.toLocaleString()}/s (${result.speedup}x); ${mismatches} hash mismatches, ${undecoded} tokens not decoded`,
  );
  console.log(JSON.stringify(result));
  if (mismatches > 0 || undecoded > 0) process.exitCode = 1;
}

main();
