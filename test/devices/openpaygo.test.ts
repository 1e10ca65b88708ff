import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sipHash24, sipHash24Bytes } from '../../src/modules/devices/openpaygo/siphash';
import {
  OpenPaygoInputError,
  decodeToken,
  fromRestrictedDigits,
  generateToken,
  nextCount,
  startingCodeFromKey,
  toRestrictedDigits,
  type GenerateTokenInput,
  type OpenPaygoTokenType,
} from '../../src/modules/devices/openpaygo/token';

// Needs no database: run alone with `npx mocha --no-config --import=tsx test/devices/openpaygo.test.ts`.

const FIXTURES = join(__dirname, '..', 'fixtures', 'openpaygo');

interface Vector {
  serial_number: string;
  starting_code: number;
  key: string;
  count: number;
  token_type: OpenPaygoTokenType;
  value_raw: number | null;
  restricted_digit_set: boolean;
  extended_token: boolean;
  new_count: number;
  token: string;
}

const vectorLines = readFileSync(join(FIXTURES, 'token-vectors.jsonl'), 'utf8')
  .split('\n')
  .map((line, i) => ({ line, lineNo: i + 1 }))
  .filter(({ line }) => line.trim() !== '');
const vectors = vectorLines.map(({ line, lineNo }) => ({ lineNo, v: JSON.parse(line) as Vector }));

const KEY = 'bc41ec9530f6dac86b1a29ab82edc5fb';
const START = 516959010;

function inputOf(v: Vector): GenerateTokenInput {
  return {
    key: v.key,
    startingCode: v.starting_code,
    count: v.count,
    type: v.token_type,
    value: v.value_raw ?? undefined,
    extended: v.extended_token,
    restrictedDigitSet: v.restricted_digit_set,
  };
}

describe('OpenPAYGO Token', () => {
  describe('SipHash-2-4 (official vectors: key 00..0f, message 00 01 .. n-1)', () => {
    const expected = readFileSync(join(FIXTURES, 'siphash24-vectors.txt'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    const key = Buffer.from(Array.from({ length: 16 }, (_, i) => i));

    it('has the 64 published outputs', () => {
      expect(expected).to.have.length(64);
    });

    it('reproduces all 64 outputs (every block boundary from 0 to 63 bytes)', () => {
      const failures: string[] = [];
      expected.forEach((hex, n) => {
        const message = Buffer.from(Array.from({ length: n }, (_, i) => i));
        const got = sipHash24Bytes(key, message).toString('hex');
        if (got !== hex) failures.push(`length ${n}: got ${got}, want ${hex}`);
      });
      expect(failures).to.deep.equal([]);
    });

    it('returns the 64-bit value the output bytes encode little-endian', () => {
      expect(sipHash24(key, Buffer.alloc(0))).to.equal(0x726fdb47dd0e0e31n);
      expect(sipHash24(key, Buffer.from([0]))).to.equal(0x74f839c593dc67fdn);
      expect(sipHash24(key, Buffer.from([0, 1, 2, 3, 4, 5, 6, 7]))).to.equal(0x93f5f5799a932462n);
    });

    it('refuses a key that is not 16 bytes', () => {
      expect(() => sipHash24(Buffer.alloc(15), Buffer.alloc(0))).to.throw(RangeError);
    });
  });

  describe(`published test vectors (${vectors.length} lines of token-vectors.jsonl)`, () => {
    it('has all 40 lines', () => {
      expect(vectors).to.have.length(40);
    });

    for (const { lineNo, v } of vectors) {
      const label = `line ${lineNo}: ${v.token_type} ${v.value_raw ?? '-'}${v.extended_token ? ' extended' : ''}${v.restricted_digit_set ? ' restricted' : ''}, count ${v.count}`;
      it(`${label} -> ${v.token}`, () => {
        expect(generateToken(inputOf(v)), label).to.deep.equal({ token: v.token, newCount: v.new_count });
      });
    }

    it('decodes every vector back to its count, type and value (device side)', () => {
      for (const { lineNo, v } of vectors) {
        const decoded = decodeToken({
          token: v.token,
          key: v.key,
          startingCode: v.starting_code,
          lastCount: v.count,
          restrictedDigitSet: v.restricted_digit_set,
        });
        const value = v.token_type === 'DISABLE_PAYG' ? 998 : v.token_type === 'COUNTER_SYNC' ? 999 : v.value_raw;
        expect(decoded, `line ${lineNo}`).to.deep.equal({
          status: 'VALID',
          type: v.token_type,
          value,
          count: v.new_count,
          extended: v.extended_token,
        });
      }
    });
  });

  describe('counts', () => {
    it('moves to the next even count for ADD_TIME and the next odd count otherwise', () => {
      expect(nextCount(0, 'ADD_TIME')).to.equal(2);
      expect(nextCount(1, 'ADD_TIME')).to.equal(2);
      expect(nextCount(2, 'ADD_TIME')).to.equal(4);
      expect(nextCount(0, 'SET_TIME')).to.equal(1);
      expect(nextCount(1, 'SET_TIME')).to.equal(3);
      expect(nextCount(2, 'DISABLE_PAYG')).to.equal(3);
      expect(nextCount(3, 'COUNTER_SYNC')).to.equal(5);
    });

    it('is strictly increasing with the right parity over a mixed sequence, and each token decodes', () => {
      const types: OpenPaygoTokenType[] = [
        'ADD_TIME',
        'ADD_TIME',
        'SET_TIME',
        'ADD_TIME',
        'SET_TIME',
        'SET_TIME',
        'COUNTER_SYNC',
        'ADD_TIME',
        'DISABLE_PAYG',
        'ADD_TIME',
      ];
      let count = 0;
      const seen = new Set<string>();
      types.forEach((type, i) => {
        const value = type === 'ADD_TIME' || type === 'SET_TIME' ? (i * 37) % 996 : undefined;
        const { token, newCount } = generateToken({ key: KEY, startingCode: START, count, type, value });
        expect(newCount).to.be.greaterThan(count);
        expect(newCount - count).to.be.oneOf([1, 2]);
        expect(newCount % 2, `${type} count parity`).to.equal(type === 'ADD_TIME' ? 0 : 1);
        expect(token).to.match(/^\d{9}$/);
        expect(seen.has(token), 'tokens are not repeated').to.equal(false);
        seen.add(token);
        const decoded = decodeToken({ token, key: KEY, startingCode: START, lastCount: count });
        expect(decoded).to.deep.equal({ status: 'VALID', type, value: value ?? (type === 'DISABLE_PAYG' ? 998 : 999), count: newCount, extended: false });
        count = newCount;
      });
    });
  });

  describe('decode round trip', () => {
    const cases: Array<{ type: OpenPaygoTokenType; value?: number; extended?: boolean; restrictedDigitSet?: boolean }> = [
      { type: 'ADD_TIME', value: 0 },
      { type: 'ADD_TIME', value: 30 },
      { type: 'ADD_TIME', value: 995 },
      { type: 'SET_TIME', value: 0 },
      { type: 'SET_TIME', value: 7, restrictedDigitSet: true },
      { type: 'ADD_TIME', value: 123_456, extended: true },
      { type: 'SET_TIME', value: 999_999, extended: true, restrictedDigitSet: true },
      { type: 'DISABLE_PAYG' },
      { type: 'COUNTER_SYNC', restrictedDigitSet: true },
    ];
    for (const c of cases) {
      it(`${c.type}${c.value === undefined ? '' : ` ${c.value}`}${c.extended ? ' extended' : ''}${c.restrictedDigitSet ? ' restricted' : ''} at count 10`, () => {
        const { token, newCount } = generateToken({ key: KEY, startingCode: 123_456_789, count: 10, ...c });
        const decoded = decodeToken({ token, key: KEY, startingCode: 123_456_789, lastCount: 10, restrictedDigitSet: c.restrictedDigitSet });
        expect(decoded).to.include({ status: 'VALID', type: c.type, count: newCount, extended: c.extended === true });
        if (c.value !== undefined) expect(decoded).to.include({ value: c.value });
      });
    }

    it('reports a token already used, and a token from another key as invalid', () => {
      const { token, newCount } = generateToken({ key: KEY, startingCode: START, count: 4, type: 'SET_TIME', value: 5 });
      expect(decodeToken({ token, key: KEY, startingCode: START, lastCount: newCount })).to.deep.equal({ status: 'ALREADY_USED', extended: false });
      expect(decodeToken({ token, key: '00112233445566778899aabbccddeeff', startingCode: START, lastCount: 4 }).status).to.equal('INVALID');
      expect(decodeToken({ token: '12ab', key: KEY, startingCode: START, lastCount: 4 }).status).to.equal('INVALID');
    });

    it('restricted digits round trip and use only 1..4', () => {
      for (const n of [0, 1, 999_999_999, 588_224_011]) {
        const digits = toRestrictedDigits(n);
        expect(digits).to.match(/^[1-4]{15}$/);
        expect(fromRestrictedDigits(digits)).to.equal(n);
      }
      const ext = toRestrictedDigits(999_999_999_999, true);
      expect(ext).to.match(/^[1-4]{20}$/);
      expect(fromRestrictedDigits(ext)).to.equal(999_999_999_999);
      expect(() => fromRestrictedDigits('1235')).to.throw(RangeError);
    });
  });

  describe('device without a factory starting code', () => {
    it('derives a 9-digit starting code from SipHash(key, key) and uses it when none is given', () => {
      const derived = startingCodeFromKey(KEY);
      expect(derived).to.be.within(0, 999_999_999);
      expect(startingCodeFromKey(Buffer.from(KEY, 'hex'))).to.equal(derived);
      // Folding: high 32 bits XOR low 32 bits of SipHash(key, key), top 30 bits, kept under 10^9.
      const k = Buffer.from(KEY, 'hex');
      const h = sipHash24(k, k);
      let t = Number(((h >> 32n) ^ (h & 0xffffffffn)) >> 2n);
      if (t > 999_999_999) t -= 73_741_825;
      expect(derived).to.equal(t);

      const implicit = generateToken({ key: KEY, count: 0, type: 'ADD_TIME', value: 3 });
      const explicit = generateToken({ key: KEY, startingCode: derived, count: 0, type: 'ADD_TIME', value: 3 });
      expect(implicit).to.deep.equal(explicit);
      expect(decodeToken({ token: implicit.token, key: KEY, lastCount: 0 })).to.include({ status: 'VALID', value: 3, count: 2 });
    });
  });

  describe('validation', () => {
    const base: GenerateTokenInput = { key: KEY, startingCode: START, count: 1, type: 'ADD_TIME', value: 1 };
    const rejects = (patch: Partial<GenerateTokenInput>, field: string, message: RegExp): void => {
      let caught: unknown;
      try {
        generateToken({ ...base, ...patch });
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(patch)).to.be.instanceOf(RangeError);
      expect(caught).to.be.instanceOf(OpenPaygoInputError);
      expect((caught as OpenPaygoInputError).field).to.equal(field);
      expect((caught as Error).message).to.match(message);
    };

    it('accepts the edges of the ranges', () => {
      expect(generateToken({ ...base, value: 0 }).token).to.have.length(9);
      expect(generateToken({ ...base, value: 995 }).token).to.have.length(9);
      expect(generateToken({ ...base, value: 999_999, extended: true }).token).to.have.length(12);
      expect(generateToken({ ...base, startingCode: 0 }).token).to.have.length(9);
      expect(generateToken({ ...base, startingCode: 999_999_999 }).token).to.have.length(9);
      expect(generateToken({ ...base, key: KEY.toUpperCase() }).token).to.equal(generateToken(base).token);
    });

    it('refuses out-of-range and non-integer values', () => {
      rejects({ value: -1 }, 'value', /0 to 995/);
      rejects({ value: 1000 }, 'value', /0 to 995/);
      rejects({ value: 1.5 }, 'value', /integer/);
      rejects({ value: Number.NaN }, 'value', /integer/);
      rejects({ value: 1_000_000, extended: true }, 'value', /0 to 999999/);
      rejects({ type: 'SET_TIME', value: undefined }, 'value', /required/);
    });

    it('refuses the reserved values 996 and 997 and the values of the other types', () => {
      rejects({ value: 996 }, 'value', /996 is reserved/);
      rejects({ type: 'SET_TIME', value: 997 }, 'value', /997 is reserved/);
      rejects({ value: 998 }, 'value', /DISABLE_PAYG/);
      rejects({ type: 'SET_TIME', value: 999 }, 'value', /COUNTER_SYNC/);
      rejects({ type: 'SET_TIME', value: 998, extended: true }, 'value', /identical to the DISABLE_PAYG token/);
      rejects({ type: 'DISABLE_PAYG', value: 998 }, 'value', /must not be given/);
      rejects({ type: 'COUNTER_SYNC', value: 0 }, 'value', /must not be given/);
    });

    it('refuses a bad key without echoing it', () => {
      rejects({ key: KEY.slice(0, 30) }, 'key', /32 hexadecimal characters/);
      rejects({ key: `${KEY}00` }, 'key', /32 hexadecimal characters/);
      rejects({ key: `${KEY.slice(0, 31)}g` }, 'key', /non-hexadecimal/);
      rejects({ key: Buffer.alloc(15) }, 'key', /16 bytes/);
      try {
        generateToken({ ...base, key: `${KEY}ff` });
      } catch (err) {
        expect((err as Error).message).not.to.include(KEY);
      }
    });

    it('refuses bad starting codes, counts and types', () => {
      rejects({ startingCode: -1 }, 'startingCode', /0 to 999999999/);
      rejects({ startingCode: 1_000_000_000 }, 'startingCode', /0 to 999999999/);
      rejects({ startingCode: 1.5 }, 'startingCode', /integer/);
      rejects({ count: -1 }, 'count', /integer from 0/);
      rejects({ count: 2.5 }, 'count', /integer from 0/);
      rejects({ count: 65_535 }, 'count', /too high/);
      rejects({ type: 'ADD_DAYS' as OpenPaygoTokenType }, 'type', /one of ADD_TIME, SET_TIME, DISABLE_PAYG, COUNTER_SYNC/);
    });
  });
});
