/**
 * OpenPAYGO Token: the short numeric codes a customer types into a pay-as-you-go device to add or
 * set days of use. Compatible with the reference implementation (EnAccess OpenPAYGO-python) and
 * checked against its published test vectors (test/fixtures/openpaygo/token-vectors.jsonl).
 *
 * How a token is made (server side, `generateToken`):
 * - The device and the server share a 16-byte secret key, a 9-digit starting code and a counter.
 * - The value travels in the last 3 digits (6 when extended): base = (starting code's last digits
 *   + value) mod 1000 (1,000,000 extended). ADD_TIME and SET_TIME carry days 0..995 (extended:
 *   0..999,999); DISABLE_PAYG carries 998 and COUNTER_SYNC 999; 996 and 997 are reserved.
 * - The counter moves to the next even number for ADD_TIME and to the next odd number for every
 *   other type (+1 or +2). Starting from the starting code with the base put in its last digits,
 *   the code is hashed `newCount` times (`nextCode`), and the token is the result with the base
 *   put back in its last digits: 9 digits, or 12 extended.
 * - Restricted digit set (keypads with keys 1 to 4): the token's 30 bits (40 extended) are written
 *   two bits at a time, most significant first, as digits 1..4: 15 digits (20 extended).
 *
 * The server must store `newCount` with every token, under a row lock on the device, so that two
 * payments never mint from the same count; the next token starts from the stored count.
 *
 * Where this differs from OpenPAYGO-python, on purpose (no published vector is affected):
 * - An extended SET_TIME of 998 or 999 is refused: it would be the very same token as the extended
 *   DISABLE_PAYG / COUNTER_SYNC one (same odd count, same value), so the device cannot tell them
 *   apart. The reference mints it.
 * - A starting code of 0 is used as given; the reference treats 0 like "none" (derives it from the
 *   key). Omit `startingCode` for a device without one.
 * - Counts are bounded by MAX_COUNT (the reference device firmware's 16-bit counter); values must
 *   be integers (the reference rounds value * divider; callers here convert days themselves).
 * - `decodeToken` names extended odd-count tokens carrying 998 / 999 DISABLE_PAYG / COUNTER_SYNC as
 *   for standard tokens; the reference decoder reports every extended odd count as SET_TIME.
 *
 * `decodeToken` is the device side (what the firmware does when a code is typed in); the backend
 * uses it to check tokens independently of the generator and to explain a code a customer reads out.
 */
import { sipHash24Halves, sipHash24Word, sipKey, type SipKey } from './siphash';

export const OPENPAYGO_TOKEN_TYPES = ['ADD_TIME', 'SET_TIME', 'DISABLE_PAYG', 'COUNTER_SYNC'] as const;
export type OpenPaygoTokenType = (typeof OPENPAYGO_TOKEN_TYPES)[number];

/** Largest ADD_TIME / SET_TIME value in a standard (9-digit) token. */
export const MAX_STANDARD_VALUE = 995;
/** Largest ADD_TIME / SET_TIME value in an extended (12-digit) token. */
export const MAX_EXTENDED_VALUE = 999_999;
/** Values the standard reserves for future extensions. */
export const RESERVED_VALUES: readonly number[] = [996, 997];
/** The value a DISABLE_PAYG token carries. */
export const DISABLE_PAYG_VALUE = 998;
/** The value a COUNTER_SYNC token carries. */
export const COUNTER_SYNC_VALUE = 999;
export const MAX_STARTING_CODE = 999_999_999;
/**
 * Largest count accepted and produced. The reference device firmware keeps its counter in 16 bits,
 * so a token minted past this count could never be accepted; the bound also caps the work of one
 * generation (one SipHash per count step).
 */
export const MAX_COUNT = 65_535;
/** How far past its last count a device looks for a matching token (reference decoder). */
export const MAX_TOKEN_JUMP = 64;
/** The same for COUNTER_SYNC tokens, which resynchronise a device that fell behind. */
export const MAX_TOKEN_JUMP_COUNTER_SYNC = 100;
/** ADD_TIME tokens older than the last count are still accepted within this window if unused. */
export const MAX_UNUSED_OLDER_TOKENS = 16;

/** The input a token request got wrong. */
export type OpenPaygoField = 'key' | 'startingCode' | 'count' | 'lastCount' | 'type' | 'value';

/** A RangeError that also names the offending input (`field`), so callers can point at it. */
export class OpenPaygoInputError extends RangeError {
  override name = 'OpenPaygoInputError';
  constructor(
    readonly field: OpenPaygoField,
    message: string,
  ) {
    super(message);
  }
}

export interface GenerateTokenInput {
  /** The device's secret key: 16 bytes, or exactly 32 hexadecimal characters. */
  key: Buffer | Uint8Array | string;
  /**
   * The device's 9-digit starting code, 0..999,999,999. Omit it for a device shipped without a
   * factory starting code: it is then derived from the key (`startingCodeFromKey`).
   */
  startingCode?: number;
  /** The count stored for the device before this token (0 for a new device). */
  count: number;
  type: OpenPaygoTokenType;
  /** Days for ADD_TIME / SET_TIME; must be absent for DISABLE_PAYG and COUNTER_SYNC. */
  value?: number | null;
  /** 12-digit tokens carrying values up to 999,999 (device models with extended tokens). */
  extended?: boolean;
  /** Write the token with digits 1 to 4 only (keypads with four keys). */
  restrictedDigitSet?: boolean;
}

export interface GeneratedToken {
  /** The code to give the customer, with its leading zeros. */
  token: string;
  /** The device's count after this token: store it with the token. */
  newCount: number;
}

/** Parses and checks a device key. Never echoes the key in an error: it is a secret. */
export function parseKey(key: Buffer | Uint8Array | string): Buffer {
  if (typeof key === 'string') {
    if (!/^[0-9a-fA-F]{32}$/.test(key)) {
      throw new OpenPaygoInputError(
        'key',
        `key must be exactly 32 hexadecimal characters (16 bytes), got ${key.length} characters${/^[0-9a-fA-F]*$/.test(key) ? '' : ' including non-hexadecimal ones'}`,
      );
    }
    return Buffer.from(key, 'hex');
  }
  if (key instanceof Uint8Array) {
    if (key.length !== 16) throw new OpenPaygoInputError('key', `key must be exactly 16 bytes, got ${key.length}`);
    return Buffer.from(key);
  }
  throw new OpenPaygoInputError('key', 'key must be a 32-character hexadecimal string or 16 bytes');
}

function checkStartingCode(startingCode: number): void {
  if (!Number.isSafeInteger(startingCode) || startingCode < 0 || startingCode > MAX_STARTING_CODE) {
    throw new OpenPaygoInputError('startingCode', `startingCode must be an integer from 0 to ${MAX_STARTING_CODE}, got ${String(startingCode)}`);
  }
}

function checkCount(count: number, name: 'count' | 'lastCount'): void {
  if (!Number.isSafeInteger(count) || count < 0 || count > MAX_COUNT) {
    throw new OpenPaygoInputError(name, `${name} must be an integer from 0 to ${MAX_COUNT}, got ${String(count)}`);
  }
}

function checkType(type: unknown): asserts type is OpenPaygoTokenType {
  if (!(OPENPAYGO_TOKEN_TYPES as readonly unknown[]).includes(type)) {
    throw new OpenPaygoInputError('type', `type must be one of ${OPENPAYGO_TOKEN_TYPES.join(', ')}, got ${String(type)}`);
  }
}

/** A 32-bit number with its bytes reversed: a big-endian write read back as little-endian. */
function byteSwap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/**
 * The code after `code` in a device's chain: standard (9-digit) tokens. The SipHash input is the
 * 4-byte code written big-endian twice, so both little-endian halves of the message are its bytes
 * swapped.
 */
function nextStandardCode(code: number, key: SipKey): number {
  const m = byteSwap32(code);
  const [lo, hi] = sipHash24Word(key, m, m);
  return hashToStandardCode(lo!, hi!);
}

/** The 64-bit hash folded to 32 bits (high XOR low), then its top 30 bits brought under 10^9. */
function hashToStandardCode(lo: number, hi: number): number {
  let code = (lo ^ hi) >>> 2; // fold to 32 bits and drop the 2 low bits: 30 bits left
  if (code > 999_999_999) code -= 73_741_825; // 2^30 - 10^9 - 1: keeps 9 digits
  return code;
}

/**
 * The code after `code` in a device's chain: extended (12-digit) tokens. The SipHash input is the
 * code as one 8-byte big-endian integer (codes stay under 2^40).
 */
function nextExtendedCode(code: number, key: SipKey): number {
  const high = Math.floor(code / 0x1_0000_0000);
  const [lo, hi] = sipHash24Word(key, byteSwap32(high), byteSwap32(code >>> 0));
  let next = hi! * 256 + (lo! >>> 24); // the top 40 bits of the hash
  if (next > 999_999_999_999) next -= 99_511_627_777; // 2^40 - 10^12 - 1: keeps 12 digits
  return next;
}

interface Layout {
  modulus: number;
  digits: number;
  bits: number;
  restrictedDigits: number;
  next: (code: number, key: SipKey) => number;
}

const STANDARD: Layout = { modulus: 1000, digits: 9, bits: 30, restrictedDigits: 15, next: nextStandardCode };
const EXTENDED: Layout = { modulus: 1_000_000, digits: 12, bits: 40, restrictedDigits: 20, next: nextExtendedCode };

function putBase(code: number, base: number, layout: Layout): number {
  return code - (code % layout.modulus) + base;
}

/**
 * The starting code of a device that has no factory starting code: SipHash-2-4 of the key under
 * itself, folded to 9 digits as for a standard token (this is what the reference implementation
 * does when no starting code is given, for standard and extended tokens alike).
 */
export function startingCodeFromKey(key: Buffer | Uint8Array | string): number {
  const k = parseKey(key);
  const [lo, hi] = sipHash24Halves(sipKey(k), k);
  return hashToStandardCode(lo!, hi!);
}

/** The count a token of `type` takes after `count`: next even for ADD_TIME, next odd otherwise. */
export function nextCount(count: number, type: OpenPaygoTokenType): number {
  checkCount(count, 'count');
  checkType(type);
  const wantOdd = type !== 'ADD_TIME';
  const isOdd = count % 2 === 1;
  return count + (isOdd === wantOdd ? 2 : 1);
}

/** Writes a token (30 bits, or 40 extended) with the digits 1..4, two bits a digit. */
export function toRestrictedDigits(token: number, extended = false): string {
  const layout = extended ? EXTENDED : STANDARD;
  const v = BigInt(token);
  let out = '';
  for (let i = layout.restrictedDigits - 1; i >= 0; i--) out += String(Number((v >> BigInt(2 * i)) & 3n) + 1);
  return out;
}

/** Reads a restricted-digit token back to its number. */
export function fromRestrictedDigits(digits: string): number {
  if (!/^[1-4]+$/.test(digits)) throw new RangeError('a restricted-digit token uses only the digits 1 to 4');
  let v = 0n;
  for (const d of digits) v = (v << 2n) | BigInt(Number(d) - 1);
  return Number(v);
}

/** The value a token of `type` carries, after checking it is allowed. */
function tokenValue(type: OpenPaygoTokenType, value: number | null | undefined, extended: boolean): number {
  if (type === 'DISABLE_PAYG' || type === 'COUNTER_SYNC') {
    if (value !== undefined && value !== null) {
      throw new OpenPaygoInputError(
        'value',
        `value must not be given for ${type} tokens (it always carries ${type === 'DISABLE_PAYG' ? DISABLE_PAYG_VALUE : COUNTER_SYNC_VALUE})`,
      );
    }
    return type === 'DISABLE_PAYG' ? DISABLE_PAYG_VALUE : COUNTER_SYNC_VALUE;
  }
  if (value === undefined || value === null) throw new OpenPaygoInputError('value', `value is required for ${type} tokens`);
  const max = extended ? MAX_EXTENDED_VALUE : MAX_STANDARD_VALUE;
  if (!Number.isSafeInteger(value) || value < 0 || value > (extended ? MAX_EXTENDED_VALUE : 999)) {
    throw new OpenPaygoInputError(
      'value',
      `value must be an integer from 0 to ${max} for ${extended ? 'extended' : 'standard'} ${type} tokens, got ${String(value)}`,
    );
  }
  if (!extended && RESERVED_VALUES.includes(value)) {
    throw new OpenPaygoInputError('value', `value ${value} is reserved by OpenPAYGO for future extensions (${type} takes 0 to ${max})`);
  }
  if (!extended && value > max) {
    throw new OpenPaygoInputError(
      'value',
      `value ${value} is reserved for ${value === DISABLE_PAYG_VALUE ? 'DISABLE_PAYG' : 'COUNTER_SYNC'} tokens; use that type (${type} takes 0 to ${max})`,
    );
  }
  if (extended && type === 'SET_TIME' && (value === DISABLE_PAYG_VALUE || value === COUNTER_SYNC_VALUE)) {
    // An odd-count extended token carrying 998/999 is bit for bit the DISABLE_PAYG/COUNTER_SYNC
    // token, so the device cannot tell which was meant. Refused rather than risk unlocking a device.
    throw new OpenPaygoInputError(
      'value',
      `value ${value} for an extended SET_TIME token would be identical to the ${value === DISABLE_PAYG_VALUE ? 'DISABLE_PAYG' : 'COUNTER_SYNC'} token; use another value`,
    );
  }
  return value;
}

/** Mints the token for one device event. Throws RangeError on any invalid input. */
export function generateToken(input: GenerateTokenInput): GeneratedToken {
  const key = parseKey(input.key);
  checkType(input.type);
  checkCount(input.count, 'count');
  const extended = input.extended === true;
  const layout = extended ? EXTENDED : STANDARD;
  const startingCode = input.startingCode === undefined ? startingCodeFromKey(key) : input.startingCode;
  checkStartingCode(startingCode);
  const value = tokenValue(input.type, input.value, extended);
  const newCount = nextCount(input.count, input.type);
  if (newCount > MAX_COUNT) {
    throw new OpenPaygoInputError('count', `count ${input.count} is too high: the next count ${newCount} would pass the device counter's maximum ${MAX_COUNT}`);
  }

  const base = ((startingCode % layout.modulus) + value) % layout.modulus;
  let code = putBase(startingCode, base, layout);
  const sip = sipKey(key);
  for (let i = 0; i < newCount; i++) code = layout.next(code, sip);
  const tokenNumber = putBase(code, base, layout);

  const token = input.restrictedDigitSet === true ? toRestrictedDigits(tokenNumber, extended) : String(tokenNumber).padStart(layout.digits, '0');
  return { token, newCount };
}

export interface DecodeTokenInput {
  token: string;
  key: Buffer | Uint8Array | string;
  /** Omit for a device without a factory starting code (derived from the key). */
  startingCode?: number;
  /** The device's last accepted count. */
  lastCount: number;
  restrictedDigitSet?: boolean;
  /** Counts the device already used (for older ADD_TIME tokens within the window); default none. */
  usedCounts?: readonly number[];
}

export type DecodedToken =
  | { status: 'VALID'; type: OpenPaygoTokenType; value: number; count: number; extended: boolean }
  /** The token is genuine but its count was already used (or is too old). */
  | { status: 'ALREADY_USED'; extended: boolean }
  | { status: 'INVALID' };

/**
 * The device side: finds which count and value a typed token carries, as the reference decoder
 * does. Token length decides standard or extended (up to 9 digits standard, up to 12 extended; up
 * to 15 / 20 with the restricted digit set). The chain is searched from count 0 to
 * lastCount + 64 (+ 100 for a COUNTER_SYNC value). An odd count means SET_TIME, or DISABLE_PAYG /
 * COUNTER_SYNC when the value is 998 / 999; an even count means ADD_TIME.
 */
export function decodeToken(input: DecodeTokenInput): DecodedToken {
  const key = parseKey(input.key);
  checkCount(input.lastCount, 'lastCount');
  const startingCode = input.startingCode === undefined ? startingCodeFromKey(key) : input.startingCode;
  checkStartingCode(startingCode);
  const restricted = input.restrictedDigitSet === true;
  const text = input.token.trim();
  if (!/^[0-9]+$/.test(text)) return { status: 'INVALID' };
  const standardMax = restricted ? STANDARD.restrictedDigits : STANDARD.digits;
  const extendedMax = restricted ? EXTENDED.restrictedDigits : EXTENDED.digits;
  if (text.length > extendedMax) return { status: 'INVALID' };
  const extended = text.length > standardMax;
  const layout = extended ? EXTENDED : STANDARD;
  let tokenNumber: number;
  if (restricted) {
    if (!/^[1-4]+$/.test(text)) return { status: 'INVALID' };
    tokenNumber = fromRestrictedDigits(text);
  } else {
    tokenNumber = Number(text);
  }

  const tokenBase = tokenNumber % layout.modulus;
  const startingBase = startingCode % layout.modulus;
  const value = (tokenBase - startingBase + layout.modulus) % layout.modulus;
  const maxJump = value === COUNTER_SYNC_VALUE ? MAX_TOKEN_JUMP_COUNTER_SYNC : MAX_TOKEN_JUMP;
  const used = input.usedCounts ?? [];

  const sip = sipKey(key);
  let code = putBase(startingCode, tokenBase, layout);
  let genuineButUsed = false;
  for (let count = 0; count <= input.lastCount + maxJump; count++) {
    if (putBase(code, tokenBase, layout) === tokenNumber) {
      const type: OpenPaygoTokenType =
        count % 2 === 0 ? 'ADD_TIME' : value === COUNTER_SYNC_VALUE ? 'COUNTER_SYNC' : value === DISABLE_PAYG_VALUE ? 'DISABLE_PAYG' : 'SET_TIME';
      const fresh =
        type === 'COUNTER_SYNC'
          ? count > input.lastCount - MAX_TOKEN_JUMP
          : count > input.lastCount || (type === 'ADD_TIME' && count > input.lastCount - MAX_UNUSED_OLDER_TOKENS && !used.includes(count));
      if (fresh) return { status: 'VALID', type, value, count, extended };
      genuineButUsed = true;
    }
    code = layout.next(code, sip);
  }
  return genuineButUsed ? { status: 'ALREADY_USED', extended } : { status: 'INVALID' };
}
