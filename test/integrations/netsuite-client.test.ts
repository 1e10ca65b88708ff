import { constants, sign } from 'node:crypto';
import { expect } from 'chai';
import { NetsuiteSync } from '../../src/modules/integrations/models';
import { Customer } from '../../src/modules/customers/models';
import type { SyncItem } from '../../src/modules/integrations/sync-target';
import { createMarket, createCustomer, type Market } from '../support/lending';
import type { FakeNetsuite } from '../fakes/netsuite';
import { keyPair, mapSubsidiary, restConfig, startFake, target } from './netsuite-support';

const customerItem = (id: number): SyncItem => ({ aggregate: 'customer', id, events: ['customer.updated'], payloads: [{}] });

describe('integrations: the NetSuite client against the fake (auth, upsert, faults)', () => {
  let fake: FakeNetsuite;
  let market: Market;
  before(async () => {
    fake = await startFake();
    market = await createMarket();
    await mapSubsidiary(market.country.id, '3');
  });
  after(() => fake.stop());

  it('OAuth 2.0 client credentials: a PS256 assertion gets a token, the customer is upserted by external id (twice = one record, same internal id)', async () => {
    const t = await target(restConfig(fake));
    const c = await createCustomer(market.region.id);
    const [first] = await t.push([customerItem(c.id)]);
    expect(first).to.deep.include({ status: 'done' });
    const record = fake.byExternalId('customer', `amt-cust-${c.id}`)!;
    expect(record.fields).to.include({ firstName: 'Wanjiku', lastName: c.lastName, phone: '+254711000000', isPerson: true, isInactive: false });
    expect(record.fields.subsidiary).to.deep.equal({ id: '3' });
    expect(first).to.deep.equal({ status: 'done', remoteId: record.id });

    await c.update({ firstName: 'Achieng' });
    const [second] = await t.push([customerItem(c.id)]);
    expect(second).to.deep.equal({ status: 'done', remoteId: record.id });
    expect(fake.all('customer').filter((r) => r.externalId === `amt-cust-${c.id}`)).to.have.length(1);
    expect(fake.byExternalId('customer', `amt-cust-${c.id}`)!.fields.firstName).to.equal('Achieng');
    expect(fake.byExternalId('customer', `amt-cust-${c.id}`)!.writes).to.equal(2);
    const sync = await NetsuiteSync.findOne({ where: { entityType: 'customer', entityId: c.id } });
    expect(sync).to.deep.include({ netsuiteId: record.id, syncStatus: 'success', errorMessage: null });
    // One token served both requests.
    expect(fake.requests.filter((r) => r.auth === 'token-endpoint' && r.status === 200)).to.have.length(1);
  });

  it('Token-Based Authentication: every request signed HMAC-SHA256 with realm = account id is accepted; a wrong secret is 401 INVALID_LOGIN, retried, never dead', async () => {
    const c = await createCustomer(market.region.id);
    const t = await target(restConfig(fake, { mode: 'tba' }));
    expect(await t.push([customerItem(c.id)])).to.deep.equal([{ status: 'done', remoteId: fake.byExternalId('customer', `amt-cust-${c.id}`)!.id }]);
    expect(fake.requests.at(-1)).to.deep.include({ auth: 'tba', status: 204 });

    const wrong = restConfig(fake, { mode: 'tba' });
    const bad = await target({ ...wrong, auth: { ...(wrong.auth as Extract<typeof wrong.auth, { mode: 'tba' }>), tokenSecret: 'not-the-secret' } });
    const [out] = await bad.push([customerItem(c.id)]);
    expect(out!.status).to.equal('retry');
    expect((out as { error: string }).error).to.match(/401 INVALID_LOGIN/);
    expect((out as { error: string }).error).to.not.include('not-the-secret');
    expect(fake.requests.at(-1)).to.deep.include({ auth: 'tba', status: 401 });
  });

  it('the token endpoint refuses an assertion whose signature does not verify against the registered certificate, and one with a wrong kid', async () => {
    const c = await createCustomer(market.region.id);
    const { generateKeyPairSync } = await import('node:crypto');
    const other = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const cfg = restConfig(fake);
    const oauth = cfg.auth as Extract<typeof cfg.auth, { mode: 'oauth2' }>;
    const badKey = await target({ ...cfg, auth: { ...oauth, privateKey: other.privateKey } });
    const [out] = await badKey.push([customerItem(c.id)]);
    expect(out).to.deep.include({ status: 'retry' });
    expect((out as { error: string }).error).to.match(/refused the token request \(400 invalid_grant/);
    const badKid = await target({ ...cfg, auth: { ...oauth, certificateId: 'cert-unknown' } });
    expect(((await badKid.push([customerItem(c.id)]))[0] as { error: string }).error).to.match(/invalid_client/);
    expect(fake.byExternalId('customer', `amt-cust-${c.id}`)).to.equal(undefined);

    // The fake checks the claims too: a well-signed assertion living over 60 minutes is refused.
    const header = Buffer.from(JSON.stringify({ alg: 'PS256', typ: 'JWT', kid: 'cert-amt-1' })).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const claims = Buffer.from(
      JSON.stringify({ iss: 'client-amt', scope: ['rest_webservices'], aud: `${fake.baseUrl}/services/rest/auth/oauth2/v1/token`, iat: now, exp: now + 7200 }),
    ).toString('base64url');
    const pss = sign('sha256', Buffer.from(`${header}.${claims}`), { key: keyPair().privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    const res = await fetch(`${fake.baseUrl}/services/rest/auth/oauth2/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: `${header}.${claims}.${pss.toString('base64url')}`,
      }).toString(),
    });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { error_description: string }).error_description).to.match(/over 60 minutes/);
  });

  it('an expired token is refreshed once: the 401 gets a new token and the request is repeated, one record', async () => {
    const c = await createCustomer(market.region.id);
    const t = await target(restConfig(fake));
    await t.push([customerItem(c.id)]);
    const issued = fake.tokensIssued;
    fake.expireTokens();
    await c.update({ lastName: 'Renewed' });
    expect((await t.push([customerItem(c.id)]))[0]).to.deep.include({ status: 'done' });
    expect(fake.tokensIssued).to.equal(issued + 1);
    const puts = fake.requests.filter((r) => r.path.includes(`eid:amt-cust-${c.id}`));
    expect(puts.map((r) => r.status)).to.deep.equal([204, 401, 204]);
    expect(fake.byExternalId('customer', `amt-cust-${c.id}`)!.fields.lastName).to.equal('Renewed');
  });

  it('a token is renewed before it expires (no 401 on the way)', async () => {
    const shortLived = await startFake({ tokenLifetimeSeconds: 1 });
    try {
      const m = await createMarket();
      await mapSubsidiary(m.country.id);
      const c = await createCustomer(m.region.id);
      const t = await target(restConfig(shortLived));
      await t.push([customerItem(c.id)]);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await t.push([customerItem(c.id)]))[0]).to.deep.include({ status: 'done' });
      expect(shortLived.tokensIssued).to.equal(2);
      expect(shortLived.requests.filter((r) => r.status === 401)).to.deep.equal([]);
    } finally {
      await shortLived.stop();
    }
  });

  it("a 400 is dead with NetSuite's message (netsuiteSync failed); fixed, the next push succeeds", async () => {
    const c = await createCustomer(market.region.id);
    fake.refuse('customer', `amt-cust-${c.id}`, 'Invalid value for field phone: +254711000000.');
    const t = await target(restConfig(fake));
    const [out] = await t.push([customerItem(c.id)]);
    expect(out).to.deep.equal({ status: 'dead', error: 'NetSuite 400 USER_ERROR: Invalid value for field phone: +254711000000.' });
    expect(await NetsuiteSync.findOne({ where: { entityType: 'customer', entityId: c.id } })).to.deep.include({ syncStatus: 'failed' });
    fake.accept('customer', `amt-cust-${c.id}`);
    expect((await t.push([customerItem(c.id)]))[0]).to.deep.include({ status: 'done' });
    expect(await NetsuiteSync.findOne({ where: { entityType: 'customer', entityId: c.id } })).to.deep.include({ syncStatus: 'success', errorMessage: null });
  });

  it('500s and 503s are retried (retry, with a delay), then succeed; a 429 past the in-call retries is retry too', async () => {
    const c = await createCustomer(market.region.id);
    const t = await target(restConfig(fake));
    await t.push([customerItem(c.id)]); // token
    fake.failNext(1, 500);
    const [a] = await t.push([customerItem(c.id)]);
    expect(a).to.include({ status: 'retry' });
    expect((a as { error: string }).error).to.match(/^NetSuite 500 UNEXPECTED_ERROR/);
    expect((a as { retryAfterMs: number }).retryAfterMs).to.be.greaterThan(0);
    fake.failNext(1, 503);
    expect((await t.push([customerItem(c.id)]))[0]).to.include({ status: 'retry' });
    expect((await t.push([customerItem(c.id)]))[0]).to.include({ status: 'done' });

    // The account's limit lowered to 0: every request is 429 CONCURRENCY_LIMIT_EXCEEDED.
    fake.concurrencyLimit = 0;
    try {
      const before = fake.rejectedForConcurrency;
      const [r] = await t.push([customerItem(c.id)]);
      expect(r).to.include({ status: 'retry' });
      expect((r as { error: string }).error).to.match(/429 CONCURRENCY_LIMIT_EXCEEDED/);
      expect(fake.rejectedForConcurrency - before).to.equal(4); // the first try and three backed-off retries
    } finally {
      fake.concurrencyLimit = 5;
    }
  });

  it('a 429 that clears is absorbed by the in-call backoff: done', async () => {
    const c = await createCustomer(market.region.id);
    const t = await target(restConfig(fake));
    await t.push([customerItem(c.id)]);
    fake.concurrencyLimit = 0;
    setTimeout(() => (fake.concurrencyLimit = 5), 30);
    expect((await t.push([customerItem(c.id)]))[0]).to.include({ status: 'done' });
  });

  it('a connection dropped after NetSuite applied the write is a retry; the retry upserts the same record (one record, two writes)', async () => {
    const c = await createCustomer(market.region.id);
    const t = await target(restConfig(fake));
    fake.dropAfterApplyNext(1);
    const [a] = await t.push([customerItem(c.id)]);
    expect(a).to.include({ status: 'retry' });
    expect((a as { error: string }).error).to.match(/connection lost/);
    expect(fake.byExternalId('customer', `amt-cust-${c.id}`)!.writes).to.equal(1);
    const [b] = await t.push([customerItem(c.id)]);
    expect(b).to.deep.equal({ status: 'done', remoteId: fake.byExternalId('customer', `amt-cust-${c.id}`)!.id });
    expect(fake.all('customer').filter((r) => r.externalId === `amt-cust-${c.id}`)).to.have.length(1);
    expect(fake.byExternalId('customer', `amt-cust-${c.id}`)!.writes).to.equal(2);
  });

  it('a slow answer past NETSUITE_TIMEOUT_MS is a retry (timeout), and a deleted customer is sent inactive; an unknown one is dead', async () => {
    const c = await createCustomer(market.region.id);
    const t = await target(restConfig(fake, { timeoutMs: 300 }));
    await t.push([customerItem(c.id)]);
    fake.slowNext(1, 800);
    const [a] = await t.push([customerItem(c.id)]);
    expect(a).to.include({ status: 'retry' });
    expect((a as { error: string }).error).to.match(/did not answer within 300 ms/);
    await new Promise((r) => setTimeout(r, 600)); // the slow request finishes in the fake
    await Customer.destroy({ where: { id: c.id } });
    expect((await t.push([customerItem(c.id)]))[0]).to.include({ status: 'done' });
    expect(fake.byExternalId('customer', `amt-cust-${c.id}`)!.fields.isInactive).to.equal(true);
    expect(await t.push([customerItem(999_999_999)])).to.deep.equal([{ status: 'dead', error: 'customer 999999999 does not exist' }]);
  });

  it('a country without a subsidiary mapped is dead with a message naming it; other aggregates are done without a request', async () => {
    const bare = await createMarket();
    const c = await createCustomer(bare.region.id);
    const t = await target(restConfig(fake));
    const before = fake.requests.length;
    const [dead, other] = await t.push([customerItem(c.id), { aggregate: 'payment', id: 1, events: ['payment.completed'], payloads: [{}] }]);
    expect(dead).to.deep.equal({ status: 'dead', error: `no NetSuite subsidiary is mapped for country ${bare.country.code} (netsuiteSubsidiaries)` });
    expect(other).to.deep.equal({ status: 'done' });
    expect(fake.requests.length).to.equal(before);
  });

  it('the log driver (demo) reports every item done and sends nothing', async () => {
    const t = await target({ driver: 'log' });
    expect(await t.push([customerItem(1), customerItem(2)])).to.deep.equal([{ status: 'done' }, { status: 'done' }]);
  });
});
