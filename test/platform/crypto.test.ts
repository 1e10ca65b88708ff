import { expect } from 'chai';
import { blindIndex, dataCrypto, decrypt, DecryptionError, encrypt, sameIndex } from '../../src/platform/crypto';

const KEY = '0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0';
const OTHER_KEY = 'ff'.repeat(32);

function flipFirstByte(b64: string): string {
  const buf = Buffer.from(b64, 'base64');
  buf[0] = buf[0]! ^ 0x01;
  return buf.toString('base64');
}

function expectDecryptionError(fn: () => unknown, secret?: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(DecryptionError);
    if (secret) expect(String((err as Error).message)).not.to.contain(secret);
    return;
  }
  throw new Error('expected a DecryptionError');
}

describe('platform: crypto (secrets at rest, blind index)', () => {
  const secret = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

  it('round-trips strings, including empty and non-ASCII ones, with and without a context', () => {
    const c = dataCrypto(KEY);
    for (const value of [secret, '', 'Wanjiku Ñandú 🌞', 'x'.repeat(5000)]) {
      expect(c.decrypt(c.encrypt(value))).to.equal(value);
      expect(c.decrypt(c.encrypt(value, 'devices.openpaygoSecretKey'), 'devices.openpaygoSecretKey')).to.equal(value);
    }
    expect(decrypt(encrypt(secret, KEY), KEY)).to.equal(secret);
  });

  it('writes a versioned v1:<iv>:<tag>:<ciphertext> string that does not contain the plaintext', () => {
    const out = encrypt(secret, KEY);
    const parts = out.split(':');
    expect(parts).to.have.length(4);
    expect(parts[0]).to.equal('v1');
    expect(Buffer.from(parts[1]!, 'base64')).to.have.length(12);
    expect(Buffer.from(parts[2]!, 'base64')).to.have.length(16);
    expect(out).not.to.contain(secret);
    // Fits the 255-character columns that hold device keys.
    expect(out.length).to.be.lessThan(255);
  });

  it('uses a fresh IV every time: the same plaintext never encrypts the same way twice', () => {
    const outs = new Set<string>();
    const ivs = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const out = encrypt(secret, KEY);
      outs.add(out);
      ivs.add(out.split(':')[1]!);
    }
    expect(outs.size).to.equal(50);
    expect(ivs.size).to.equal(50);
  });

  it('detects tampering with the ciphertext, tag or IV, and refuses another key or context', () => {
    const out = encrypt(secret, KEY, 'devices.openpaygoSecretKey');
    const [v, iv, tag, body] = out.split(':') as [string, string, string, string];
    expectDecryptionError(() => decrypt([v, iv, tag, flipFirstByte(body)].join(':'), KEY, 'devices.openpaygoSecretKey'), secret);
    expectDecryptionError(() => decrypt([v, iv, flipFirstByte(tag), body].join(':'), KEY, 'devices.openpaygoSecretKey'), secret);
    expectDecryptionError(() => decrypt([v, flipFirstByte(iv), tag, body].join(':'), KEY, 'devices.openpaygoSecretKey'), secret);
    expectDecryptionError(() => decrypt(out, OTHER_KEY, 'devices.openpaygoSecretKey'), secret);
    expectDecryptionError(() => decrypt(out, KEY, 'customers.nationalId'), secret);
    expectDecryptionError(() => decrypt(out, KEY), secret);
  });

  it('refuses malformed input and unknown versions without echoing it', () => {
    for (const bad of ['', 'plain text', 'v2:a:b:c', 'v1:only:three', `v1:${Buffer.alloc(5).toString('base64')}:${Buffer.alloc(16).toString('base64')}:AA==`]) {
      expectDecryptionError(() => decrypt(bad, KEY));
    }
  });

  it('refuses a key that is not 64 hexadecimal characters', () => {
    for (const bad of ['', 'ab'.repeat(31), 'zz'.repeat(32), 'ab'.repeat(33)]) {
      expect(() => dataCrypto(bad)).to.throw(RangeError, /64 hexadecimal/);
    }
  });

  it('blind index: deterministic HMAC-SHA256 hex, keyed (another key gives another index), never the plaintext', () => {
    const a = blindIndex('12345678', KEY);
    expect(a).to.match(/^[0-9a-f]{64}$/);
    expect(blindIndex('12345678', KEY)).to.equal(a);
    expect(dataCrypto(KEY).blindIndex('12345678')).to.equal(a);
    expect(blindIndex('12345679', KEY)).not.to.equal(a);
    expect(blindIndex('12345678', OTHER_KEY)).not.to.equal(a);
    expect(a).not.to.contain('12345678');
    expect(sameIndex(a, blindIndex('12345678', KEY))).to.equal(true);
    expect(sameIndex(a, blindIndex('87654321', KEY))).to.equal(false);
  });
});
