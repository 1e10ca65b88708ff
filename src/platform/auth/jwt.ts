import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
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

/** A passport instance (not the global one) whose 'jwt' strategy yields a Principal or nothing. */
export function createPassport(config: AppConfig['jwt'], loadPrincipal: PrincipalLoader): passport.PassportStatic {
  const instance = new passport.Passport() as unknown as passport.PassportStatic;
  instance.use(
    'jwt',
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKey: keyOf(config.secret) as unknown as string,
        algorithms: [JWT_ALGORITHM],
        issuer: config.issuer,
        audience: config.audience,
        jsonWebTokenOptions: { clockTolerance: 5 },
      },
      (claims: AccessClaims, done: (err: unknown, user?: Principal | false) => void) => {
        if (claims.typ !== 'access' || !/^\d+$/.test(claims.sub)) return done(null, false);
        loadPrincipal(Number(claims.sub)).then(
          // Deactivation and password changes raise the employee's sessionEpoch: older tokens stop here.
          (p) => done(null, p && (claims.se ?? 0) === (p.sessionEpoch ?? 0) ? p : false),
          (err) => done(err),
        );
      },
    ),
  );
  return instance;
}
