import { expect } from 'chai';
import type { Request } from 'express';
import jwt from 'jsonwebtoken';
import { createPassport, signAccessToken } from '../../src/platform/auth/jwt';
import type { Principal } from '../../src/platform/auth/principal';

const config = { secret: 'a-test-secret-of-at-least-thirty-two-chars', issuer: 'amt', audience: 'amt-api', accessTtlSeconds: 60 };

function principal(sessionEpoch = 0): Principal {
  return { employeeId: 7, roleId: 1, roleName: 'admin', permissions: new Set(['payments:write']), regionIds: [], sessionEpoch };
}

/** Runs the 'jwt' strategy on a request carrying `token`: the principal, or the refusal's info. */
function authenticate(pp: ReturnType<typeof createPassport>, token: string): Promise<{ user: unknown; info?: { message?: string } }> {
  return new Promise((resolve, reject) => {
    const req = { headers: { authorization: `Bearer ${token}` } } as unknown as Request;
    pp.authenticate('jwt', { session: false }, (err: unknown, user: unknown, info: { message?: string } | undefined) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve({ user, info }),
    )(req, {} as never, (err?: unknown) => reject(err instanceof Error ? err : new Error(String(err))));
  });
}

describe('JWT strategy: a verified token is remembered until it expires, never past it', () => {
  it('accepts a token until exp plus the clock tolerance, then refuses it as expired, whatever it was before', async () => {
    let nowMs = Date.now();
    let current = principal();
    const pp = createPassport(config, () => Promise.resolve(current), { now: () => nowMs });
    const token = signAccessToken(config, 7, 1, 0);
    const { exp } = jwt.decode(token) as { exp: number };

    expect((await authenticate(pp, token)).user).to.equal(current);
    nowMs = (exp + 5) * 1000 - 1;
    expect((await authenticate(pp, token)).user).to.equal(current);
    nowMs = (exp + 5) * 1000;
    const expired = await authenticate(pp, token);
    expect(expired.user).to.equal(false);
    expect(expired.info?.message).to.equal('jwt expired');

    // What the principal says is checked on every request, remembered token or not.
    nowMs = Date.now();
    const fresh = signAccessToken(config, 7, 1, 0);
    expect((await authenticate(pp, fresh)).user).to.equal(current);
    current = principal(1);
    expect((await authenticate(pp, fresh)).user).to.equal(false);
  });

  it('a token differing from a remembered one in any byte is verified on its own (a forged signature is refused)', async () => {
    const pp = createPassport(config, () => Promise.resolve(principal()));
    const token = signAccessToken(config, 7, 1, 0);
    expect((await authenticate(pp, token)).user).to.not.equal(false);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ ...(jwt.decode(token) as object), sub: '8' })).toString('base64url');
    expect((await authenticate(pp, `${header}.${forgedPayload}.${signature}`)).user).to.equal(false);
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'AB' : 'AA'}`;
    expect((await authenticate(pp, `${header}.${payload}.${flipped}`)).user).to.equal(false);
    const otherSecret = jwt.sign({ sub: '7', role: 1, typ: 'access' }, 'another-secret-another-secret-another', {
      algorithm: 'HS256',
      issuer: config.issuer,
      audience: config.audience,
      expiresIn: 60,
    });
    expect((await authenticate(pp, otherSecret)).user).to.equal(false);
  });
});
