import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Secrets at rest (device OpenPAYGO keys, national IDs) and blind indexes to find them again.
 *
 * - `encrypt` is AES-256-GCM under the data encryption key (config.dataEncryptionKey, 64 hex
 *   characters), with a fresh random 96-bit IV each time, and writes a versioned string
 *   `v1:<iv>:<tag>:<ciphertext>` (each part base64). An optional `context` (e.g. the column,
 *   'devices.openpaygoSecretKey') is bound in as additional authenticated data, so a ciphertext
 *   copied into another column does not decrypt there.
 * - `decrypt` refuses anything altered (wrong key, IV, tag, ciphertext or context) with a
 *   `DecryptionError` that never carries the input.
 * - `blindIndex` is HMAC-SHA256 (hex, 64 characters: the width of `nationalIdHash` columns) under a
 *   key derived from the same data encryption key with HKDF, so equal values can be matched
 *   without decrypting, and the index key is never the encryption key itself. It hashes the
 *   string exactly as given: callers normalise first (e.g. national IDs trimmed, upper-cased,
 *   without spaces or dashes).
 *
 * Nothing here logs. Errors never include plaintexts, ciphertexts or keys.
 */

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

function parseKey(keyHex: string): Buffer {
  if (typeof keyHex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(keyHex)) {
    throw new RangeError('the data encryption key must be exactly 64 hexadecimal characters (32 bytes)');
  }
  return Buffer.from(keyHex, 'hex');
}

function indexKey(key: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'amt blind index v1', 32));
}

export interface DataCrypto {
  encrypt(plaintext: string, context?: string): string;
  decrypt(ciphertext: string, context?: string): string;
  blindIndex(value: string): string;
}

/** The cipher and blind index bound to one data encryption key (64 hex characters). */
export function dataCrypto(keyHex: string): DataCrypto {
  const key = parseKey(keyHex);
  const hmacKey = indexKey(key);
  return {
    encrypt(plaintext, context) {
      if (typeof plaintext !== 'string') throw new TypeError('only strings are encrypted');
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64'), tag.toString('base64'), body.toString('base64')].join(':');
    },
    decrypt(ciphertext, context) {
      const parts = typeof ciphertext === 'string' ? ciphertext.split(':') : [];
      if (parts.length !== 4 || parts[0] !== VERSION) throw new DecryptionError('not a v1 ciphertext');
      const [, ivB64, tagB64, bodyB64] = parts as [string, string, string, string];
      const iv = Buffer.from(ivB64, 'base64');
      const tag = Buffer.from(tagB64, 'base64');
      const body = Buffer.from(bodyB64, 'base64');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptionError('malformed ciphertext');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
      } catch {
        throw new DecryptionError('ciphertext failed authentication (wrong key, context, or altered data)');
      }
    },
    blindIndex(value) {
      if (typeof value !== 'string') throw new TypeError('only strings are indexed');
      return createHmac('sha256', hmacKey).update(value, 'utf8').digest('hex');
    },
  };
}

/** AES-256-GCM encryption of `plaintext` under `keyHex`; see `dataCrypto`. */
export function encrypt(plaintext: string, keyHex: string, context?: string): string {
  return dataCrypto(keyHex).encrypt(plaintext, context);
}

/** Decrypts what `encrypt` wrote; throws DecryptionError when anything was altered. */
export function decrypt(ciphertext: string, keyHex: string, context?: string): string {
  return dataCrypto(keyHex).decrypt(ciphertext, context);
}

/** HMAC-SHA256 blind index of `value` (hex), keyed from the data encryption key. */
export function blindIndex(value: string, keyHex: string): string {
  return dataCrypto(keyHex).blindIndex(value);
}

/** Constant-time comparison of two blind indexes (or any two hex digests). */
export function sameIndex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
