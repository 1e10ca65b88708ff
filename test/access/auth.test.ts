import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { api, createEmployee, freshIp, loginAs, testRuntime, tokenFor } from '../support/app';
import { LoginAttempt, RefreshToken } from '../../src/modules/access/models';

async function login(body: object, ip = freshIp()) {
  return (await api()).post('/api/v1/auth/login').set('X-Forwarded-For', ip).send(body);
}

describe('staff authentication', () => {
  describe('POST /auth/login', () => {
    it('logs in with e-mail and password and the token opens /auth/me', async () => {
      const user = await createEmployee('back_office');
      const res = await login({ email: user.email.toUpperCase(), password: user.password });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ tokenType: 'Bearer', expiresIn: 900 });
      expect(res.body.refreshToken).to.be.a('string').with.length.greaterThan(30);
      const me = await (await api()).get('/api/v1/auth/me').set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);
      expect(me.body).to.include({ id: user.employee.id, email: user.email });
      expect(me.body.role.name).to.equal('back_office');
      expect(me.body.permissions).to.include('customers:kyc');
      expect(me.body).not.to.have.property('passwordHash');
    });

    it('logs in with phone and password', async () => {
      const user = await createEmployee('agent');
      const res = await login({ phone: user.employee.phone, password: user.password });
      expect(res.status).to.equal(200);
    });

    it('a wrong password is 401, recorded, and says nothing about which part was wrong', async () => {
      const user = await createEmployee('agent');
      const res = await login({ email: user.email, password: 'wrong-password' });
      expect(res.status).to.equal(401);
      expect(res.body.detail).to.match(/do not match/);
      const unknown = await login({ email: 'nobody@test.amt', password: 'whatever' });
      expect(unknown.status).to.equal(401);
      expect(unknown.body.detail).to.equal(res.body.detail);
      const attempts = await LoginAttempt.findAll({ where: { identifier: user.email } });
      expect(attempts.map((a) => [a.succeeded, a.reason])).to.deep.equal([[false, 'bad_password']]);
    });

    it('an inactive employee cannot log in', async () => {
      const user = await createEmployee('agent', { isActive: false });
      expect((await login({ email: user.email, password: user.password })).status).to.equal(401);
    });

    it('400 names the fields: both or neither of email/phone, missing password, unknown field', async () => {
      const res = await login({ email: 'a@b.c', phone: '+254700000000', role: 'admin' });
      expect(res.status).to.equal(400);
      const fields = res.body.errors.map((e: { field: string }) => e.field);
      expect(fields).to.include.members(['password', 'role']);
      expect((await login({ password: 'x' })).status).to.equal(400);
    });
  });

  describe('login throttling', () => {
    it('after 5 failures an account gets 429 with Retry-After, even with the right password', async () => {
      const user = await createEmployee('agent');
      for (let i = 0; i < 5; i++) expect((await login({ email: user.email, password: 'nope' })).status).to.equal(401);
      const res = await login({ email: user.email, password: user.password });
      expect(res.status).to.equal(429);
      expect(Number(res.headers['retry-after'])).to.be.greaterThan(0);
    });

    it('one address guessing across many accounts is throttled per IP', async () => {
      const ip = freshIp();
      for (let i = 0; i < 30; i++) await login({ email: `guess${i}@test.amt`, password: 'nope' }, ip);
      const user = await createEmployee('agent');
      expect((await login({ email: user.email, password: user.password }, ip)).status).to.equal(429);
      expect((await login({ email: user.email, password: user.password })).status).to.equal(200);
    });

    it('a successful login clears the account counter', async () => {
      const user = await createEmployee('agent');
      for (let i = 0; i < 4; i++) await login({ email: user.email, password: 'nope' });
      expect((await login({ email: user.email, password: user.password })).status).to.equal(200);
      for (let i = 0; i < 4; i++) await login({ email: user.email, password: 'nope' });
      expect((await login({ email: user.email, password: user.password })).status).to.equal(200);
    });
  });

  describe('refresh tokens', () => {
    it('rotate on every use: the new one works, the old one no longer does', async () => {
      const user = await createEmployee('finance');
      const first = (await login({ email: user.email, password: user.password })).body;
      const second = await (await api()).post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken });
      expect(second.status).to.equal(200);
      expect(second.body.refreshToken).not.to.equal(first.refreshToken);
      const third = await (await api()).post('/api/v1/auth/refresh').send({ refreshToken: second.body.refreshToken });
      expect(third.status).to.equal(200);
      await (await api()).get('/api/v1/auth/me').set('Authorization', `Bearer ${third.body.accessToken}`).expect(200);
    });

    it('reusing a rotated token revokes the whole family, including the newest token', async () => {
      const user = await createEmployee('finance');
      const first = (await login({ email: user.email, password: user.password })).body;
      const second = (await (await api()).post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken })).body;
      const replay = await (await api()).post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken });
      expect(replay.status).to.equal(401);
      expect(replay.body.detail).to.match(/already used/);
      const newest = await (await api()).post('/api/v1/auth/refresh').send({ refreshToken: second.refreshToken });
      expect(newest.status).to.equal(401);
      const family = await RefreshToken.findAll({ where: { employeeId: user.employee.id } });
      expect(family.every((t) => t.revokedAt !== null)).to.equal(true);
      expect(family.map((t) => t.revokedReason)).to.include('reuse_detected');
    });

    it('stores only a hash of the token', async () => {
      const user = await createEmployee('finance');
      const pair = (await login({ email: user.email, password: user.password })).body;
      const rows = await RefreshToken.findAll({ where: { employeeId: user.employee.id } });
      expect(rows).to.have.length(1);
      expect(rows[0]!.tokenHash)
        .to.match(/^[0-9a-f]{64}$/)
        .and.not.equal(pair.refreshToken);
    });

    it('an unknown or malformed refresh token is 401 / 400', async () => {
      expect((await (await api()).post('/api/v1/auth/refresh').send({ refreshToken: 'x'.repeat(43) })).status).to.equal(401);
      const bad = await (await api()).post('/api/v1/auth/refresh').send({});
      expect(bad.status).to.equal(400);
      expect(bad.body.errors[0].field).to.equal('refreshToken');
    });

    it('logout ends the session: the refresh token stops working', async () => {
      const user = await createEmployee('agent');
      const pair = (await login({ email: user.email, password: user.password })).body;
      await (await api()).post('/api/v1/auth/logout').set('Authorization', `Bearer ${pair.accessToken}`).send({ refreshToken: pair.refreshToken }).expect(204);
      expect((await (await api()).post('/api/v1/auth/refresh').send({ refreshToken: pair.refreshToken })).status).to.equal(401);
    });

    it('logout needs an access token', async () => {
      expect((await (await api()).post('/api/v1/auth/logout').send({ refreshToken: 'x'.repeat(43) })).status).to.equal(401);
    });
  });

  describe('access tokens', () => {
    let secret: string;
    let issuer: string;
    let audience: string;
    let employeeId: number;
    before(async () => {
      const rt = await testRuntime();
      ({ secret, issuer, audience } = rt.config.jwt);
      employeeId = (await createEmployee('admin')).employee.id;
    });

    const me = async (token: string) => (await api()).get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`);

    it('a request without a token is 401 with WWW-Authenticate', async () => {
      const res = await (await api()).get('/api/v1/auth/me');
      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.equal('Bearer');
    });

    it('an expired token is 401', async () => {
      const token = jwt.sign({ sub: String(employeeId), role: 1, typ: 'access', exp: Math.floor(Date.now() / 1000) - 60 }, secret, {
        algorithm: 'HS256',
        issuer,
        audience,
      });
      const res = await me(token);
      expect(res.status).to.equal(401);
      expect(res.body.detail).to.match(/expired/);
    });

    it('a token signed with another key is 401', async () => {
      const token = jwt.sign({ sub: String(employeeId), role: 1, typ: 'access' }, 'another-secret-another-secret-another', {
        algorithm: 'HS256',
        issuer,
        audience,
        expiresIn: 60,
      });
      expect((await me(token)).status).to.equal(401);
    });

    it('an unsigned alg:none token is 401', async () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: String(employeeId), role: 1, typ: 'access', iss: issuer, aud: audience, iat: now, exp: now + 60 })}.`;
      expect((await me(token)).status).to.equal(401);
    });

    it('a token for another audience or issuer is 401', async () => {
      const other = jwt.sign({ sub: String(employeeId), role: 1, typ: 'access' }, secret, {
        algorithm: 'HS256',
        issuer,
        audience: 'someone-else',
        expiresIn: 60,
      });
      expect((await me(other)).status).to.equal(401);
      const foreign = jwt.sign({ sub: String(employeeId), role: 1, typ: 'access' }, secret, { algorithm: 'HS256', issuer: 'not-amt', audience, expiresIn: 60 });
      expect((await me(foreign)).status).to.equal(401);
    });

    it('a valid token works', async () => {
      const { token } = await loginAs('admin');
      expect((await me(token)).status).to.equal(200);
      const user = await createEmployee('admin');
      expect((await me(await tokenFor(user))).body.id).to.equal(user.employee.id);
    });
  });
});
