import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { Request } from 'express';
import { dataCrypto, DecryptionError } from '../crypto';
import type { Logger } from '../logging/logger';
import { TtlCache } from '../ttl-cache';
import { HttpProblem, problems } from './problem';
import type { ApiRequest, ClientPrincipal } from './route';

/**
 * Machine authentication for routes declaring `access: { client: '<scope>' }` (API clients such as
 * a mobile-money gateway, never employees). A client proves itself in one of two ways, fixed when
 * it is created (`amt clients:create --auth ...`):
 *
 *  - signature (default): headers `X-Client-Id`, `X-Timestamp` (Unix seconds) and `X-Signature`,
 *    the hex HMAC-SHA256 under the client secret of `<X-Timestamp>.<raw request body>` (optionally
 *    prefixed `sha256=`). The timestamp must be within 5 minutes of the server clock. The server
 *    must be able to recompute the HMAC, so the secret is stored encrypted (AES-256-GCM under
 *    DATA_ENCRYPTION_KEY), never in clear.
 *  - shared secret (providers that cannot sign, e.g. Safaricom Daraja behind the gateway): headers
 *    `X-Client-Id` and `X-Client-Secret`; only the SHA-256 of the secret is stored (`sha256:<hex>`).
 *    Secrets are 32 random bytes, so a fast hash is enough (nothing to brute-force).
 *
 * Every comparison is constant-time. Then the source address must be in the client's allowedIps
 * (exact addresses or CIDR ranges, IPv4 or IPv6; null = anywhere) and the client's scopes must
 * include the route's scope. Missing or wrong credentials, an unknown or inactive client, or a stale
 * timestamp: 401. Address not allowed or scope missing: 403. Both happen before the body is
 * validated or the handler runs, so a refused call stores nothing.
 */

/** How long a signed request stays valid either side of the server clock. */
export const SIGNATURE_WINDOW_SECONDS = 300;
const SHARED_PREFIX = 'sha256:';
const CREDENTIAL_CONTEXT = 'apiClients.secretHash';

export type ClientAuthMode = 'signature' | 'shared-secret';

/** An API client as stored (apiClients, including the secretHash column). */
export interface ClientRecord {
  id: number;
  clientId: string;
  name: string;
  /** The secretHash column: `sha256:<hex>` (shared secret) or a v1 ciphertext (signature). */
  credential: string;
  allowedIps: string[] | null;
  scopes: string[];
  isActive: boolean;
}

/** Where clients are looked up (the access module's apiClients table, wired in runtime.ts). */
export interface ClientDirectory {
  find(clientId: string): Promise<ClientRecord | null>;
  /** Records that the client was seen (called at most once a minute per client). */
  touch?(id: number): Promise<void>;
}

/** A new random client secret (43 characters, base64url of 32 bytes). Shown once, never stored. */
export function newClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What goes into apiClients.secretHash for a new secret. */
export function storedCredential(secret: string, mode: ClientAuthMode, encryptionKeyHex: string): string {
  if (mode === 'shared-secret') return SHARED_PREFIX + sha256Hex(secret);
  return dataCrypto(encryptionKeyHex).encrypt(secret, CREDENTIAL_CONTEXT);
}

export function credentialMode(credential: string): ClientAuthMode {
  return credential.startsWith(SHARED_PREFIX) ? 'shared-secret' : 'signature';
}

/** The X-Signature a client sends: hex HMAC-SHA256(secret, `${timestamp}.${body}`). */
export function signBody(secret: string, timestamp: number | string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  // Compare equal-length buffers only; the length check itself leaks nothing useful (fixed formats).
  return x.length === y.length && timingSafeEqual(x, y);
}

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`, what Node reports on dual-stack sockets) as plain IPv4. */
function normaliseIp(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

/** A BlockList of the allowed addresses; throws on an entry that is neither an address nor a CIDR. */
export function allowList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    const [addr, bits] = entry.split('/') as [string, string | undefined];
    const family = isIP(addr);
    if (family === 0) throw new Error(`not an IP address or CIDR range: ${entry}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(addr, type);
    else {
      const prefix = Number(bits);
      if (!/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128)) throw new Error(`bad prefix length in ${entry}`);
      list.addSubnet(addr, prefix, type);
    }
  }
  return list;
}

export function ipAllowed(list: BlockList, ip: string | undefined): boolean {
  if (!ip) return false;
  const addr = normaliseIp(ip);
  const family = isIP(addr);
  if (family === 0) return false;
  return list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}

interface Cached {
  record: ClientRecord;
  /** Signing secret (decrypted) or the stored SHA-256 hex of the shared secret. */
  key: string;
  mode: ClientAuthMode;
  ips: BlockList | null;
}

const CACHE_TTL_MS = 30_000;
const TOUCH_EVERY_MS = 60_000;

export interface ClientAuthenticator {
  /** Verifies the caller of a `{ client: scope }` route; returns who it is or throws 401/403. */
  verify(req: Request, scope: string): Promise<ClientPrincipal>;
}

/**
 * Verifies API clients. Client records are cached for 30 seconds (a deactivated client or changed
 * address list takes effect within that), so a callback costs no extra query.
 */
export function createClientAuthenticator(opts: {
  directory: ClientDirectory;
  encryptionKey: string;
  logger: Logger;
  now?: () => number;
}): ClientAuthenticator {
  const now = opts.now ?? Date.now;
  // One read per client at a time (TtlCache): at 100 callbacks a second an expired entry put ~100
  // of the same SELECT on the pool at once, every 30 seconds. An unknown client is not kept.
  const cache = new TtlCache<string, Cached | null>(CACHE_TTL_MS, now);
  const touched = new Map<number, number>();
  const crypto = dataCrypto(opts.encryptionKey);
  const refuse = (detail: string) => new HttpProblem(401, detail, { headers: { 'WWW-Authenticate': 'Signature' } });
  const load = (clientId: string) => cache.get(clientId, () => read(clientId));

  async function read(clientId: string): Promise<Cached | null> {
    const record = await opts.directory.find(clientId);
    if (!record) return null;
    const mode = credentialMode(record.credential);
    let key: string;
    try {
      key = mode === 'shared-secret' ? record.credential.slice(SHARED_PREFIX.length) : crypto.decrypt(record.credential, CREDENTIAL_CONTEXT);
    } catch (err) {
      if (!(err instanceof DecryptionError)) throw err;
      opts.logger.error({ clientId }, 'API client credential does not decrypt with this DATA_ENCRYPTION_KEY');
      return null;
    }
    let ips: BlockList | null = null;
    if (record.allowedIps) {
      try {
        ips = allowList(record.allowedIps);
      } catch (err) {
        opts.logger.error({ clientId, err: (err as Error).message }, 'API client has an invalid allowedIps entry; refusing every address');
        ips = new BlockList();
      }
    }
    return { record, key, mode, ips };
  }

  return {
    async verify(req, scope) {
      const clientId = req.get('x-client-id');
      if (!clientId || clientId.length > 100)
        throw refuse('API client credentials are required (X-Client-Id with X-Signature and X-Timestamp, or X-Client-Secret).');
      const client = await load(clientId);
      const signature = req.get('x-signature');
      const secret = req.get('x-client-secret');
      if (!client || !client.record.isActive) {
        opts.logger.warn({ clientId }, 'API client refused: unknown or inactive');
        throw refuse('Unknown or inactive API client, or wrong credentials.');
      }
      if (client.mode === 'signature') {
        const ts = req.get('x-timestamp');
        if (!signature || !ts || !/^\d{1,12}$/.test(ts)) throw refuse('This client signs its requests: X-Signature and X-Timestamp are required.');
        if (Math.abs(now() / 1000 - Number(ts)) > SIGNATURE_WINDOW_SECONDS) throw refuse('X-Timestamp is outside the 5-minute window.');
        const body = (req as ApiRequest).rawBody ?? Buffer.alloc(0);
        const expected = signBody(client.key, ts, body);
        const given = signature.replace(/^sha256=/i, '').toLowerCase();
        if (!sameText(given, expected)) {
          opts.logger.warn({ clientId }, 'API client refused: bad signature');
          throw refuse('Unknown or inactive API client, or wrong credentials.');
        }
      } else {
        if (!secret || !sameText(sha256Hex(secret), client.key)) {
          opts.logger.warn({ clientId }, 'API client refused: bad shared secret');
          throw refuse('Unknown or inactive API client, or wrong credentials.');
        }
      }
      if (client.ips && !ipAllowed(client.ips, req.ip)) {
        opts.logger.warn({ clientId, ip: req.ip }, 'API client refused: address not allowed');
        throw problems.forbidden('This API client may not call from this address.', 'client-address-not-allowed');
      }
      if (!client.record.scopes.includes(scope)) {
        throw problems.forbidden(`This API client lacks the ${scope} scope.`);
      }
      const last = touched.get(client.record.id) ?? 0;
      if (opts.directory.touch && now() - last > TOUCH_EVERY_MS) {
        touched.set(client.record.id, now());
        opts.directory.touch(client.record.id).catch((err: unknown) => opts.logger.warn({ err: (err as Error).message }, 'could not record API client use'));
      }
      return { id: client.record.id, clientId: client.record.clientId, name: client.record.name, scopes: new Set(client.record.scopes) };
    },
  };
}
