import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import passport from 'passport';
import { ExtractJwt } from 'passport-jwt';
import type { AppConfig } from '../config';
import type { Principal } from './principal';

// One algorithm, pinned: a token signed any other way (including alg "none") is refused.
export const JWT_ALGORITHM = 'HS256' as const;

export interface AccessClaims {
  sub: string;
  role: number;
  typ: 'access';
  /** The employee's sessionEpoch when the token was issued; a token from an older epoch is refused (absent = 0). */
  se?: number;
}

// jsonwebtoken turns a string secret into a KeyObject on every call; build it once per secret.
const keys = new Map<string, KeyObject>();
function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = createSecretKey(Buffer.from(secret, 'utf8'))));
  return key;
}

export function signAccessToken(config: AppConfig['jwt'], employeeId: number, roleId: number, sessionEpoch = 0): string {
  const claims: AccessClaims = { sub: String(employeeId), role: roleId, typ: 'access', se: sessionEpoch };
  return jwt.sign(claims, keyOf(config.secret), {
    algorithm: JWT_ALGORITHM,
    issuer: config.issuer,
    audience: config.audience,
    expiresIn: config.accessTtlSeconds,
  });
}

export type PrincipalLoader = (employeeId: number) => Promise<Principal | null>;

/** Seconds of clock difference tolerated on `exp` (hosts' clocks drift). */
const CLOCK_TOLERANCE_SECONDS = 5;
/** Verified tokens kept at most; past it the set starts again (an attacker's valid tokens cannot grow it further). */
const MAX_VERIFIED_TOKENS = 10_000;

/**
 * Access tokens that verified, by their exact text, until they expire: a client sends the same
 * token on every request for its lifetime, and checking it again (HMAC, two JSON parses, the claim
 * checks) cost about 3% of a payment's CPU. The text includes the signature, so the same text
 * verifies the same way until `exp`, which is checked on every hit; a token without `exp` is never
 * kept. What may change meanwhile (deactivation, session epoch, role) is checked per request by
 * the principal, not here.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, { claims: AccessClaims; validUntilMs: number }>();

  get(token: string, nowMs: number): AccessClaims | undefined {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    if (nowMs < hit.validUntilMs) return hit.claims;
    this.entries.delete(token);
    return undefined;
  }

  add(token: string, claims: AccessClaims & { exp?: unknown }): void {
    if (typeof claims.exp !== 'number') return;
    if (this.entries.size >= MAX_VERIFIED_TOKENS) this.entries.clear();
    // jsonwebtoken refuses once floor(now / 1000) >= exp + tolerance.
    this.entries.set(token, { claims, validUntilMs: (claims.exp + CLOCK_TOLERANCE_SECONDS) * 1000 });
  }
}

export interface PassportOptions {
  /** The clock in ms (tests move it); jsonwebtoken is given the same time. */
  now?: () => number;
}

/**
 * A passport instance (not the global one) whose 'jwt' strategy yields a Principal or nothing:
 * a bearer HS256 access token of this issuer and audience, verified once per process (then
 * remembered until it expires), whose employee is active and in the token's session epoch.
 * A refusal's info is jsonwebtoken's error ('jwt expired' for an expired token).
 */
export function createPassport(config: AppConfig['jwt'], loadPrincipal: PrincipalLoader, options: PassportOptions = {}): passport.PassportStatic {
  const instance = new passport.Passport() as unknown as passport.PassportStatic;
  const now = options.now ?? Date.now;
  const key = keyOf(config.secret);
  const fromRequest = ExtractJwt.fromAuthHeaderAsBearerToken();
  const verified = new VerifiedTokens();

  function verify(token: string): AccessClaims {
    const nowMs = now();
    const known = verified.get(token, nowMs);
    if (known) return known;
    const claims = jwt.verify(token, key, {
      algorithms: [JWT_ALGORITHM],
      issuer: config.issuer,
      audience: config.audience,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      clockTimestamp: Math.floor(nowMs / 1000),
    }) as AccessClaims;
    verified.add(token, claims);
    return claims;
  }

  const strategy: passport.Strategy = {
    name: 'jwt',
    authenticate(req) {
      const token = fromRequest(req);
      if (!token) return this.fail(new Error('No auth token'));
      let claims: AccessClaims;
      try {
        claims = verify(token);
      } catch (err) {
        return this.fail(err as Error);
      }
      if (claims.typ !== 'access' || !/^\d+$/.test(claims.sub)) return this.fail({ message: 'not an access token' });
      loadPrincipal(Number(claims.sub)).then(
        // Deactivation and password changes raise the employee's sessionEpoch: older tokens stop here.
        (p) => (p && (claims.se ?? 0) === (p.sessionEpoch ?? 0) ? this.success(p) : this.fail({ message: 'no active employee for this token' })),
        (err: unknown) => this.error(err as Error),
      );
    },
  };
  instance.use('jwt', strategy);
  return instance;
}
