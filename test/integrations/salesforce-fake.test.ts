import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import type { FakeSalesforce } from '../fakes/salesforce';
import { CONSUMER_KEY, keyPair, SF_USER, startFake } from './salesforce-support';

/** The fake's own contract, over plain HTTP (what an outside test or a demo sees). */
describe('Salesforce fake: the REST contract over HTTP', () => {
  let fake: FakeSalesforce;
  let token: string;
  const api = (path: string) => `${fake.baseUrl}/services/data/v62.0${path}`;
  const call = async (method: string, path: string, body?: unknown, bearer = token) => {
    const res = await fetch(api(path), {
      method,
      headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
  };

  before(async () => {
    fake = await startFake({ pageSize: 2, dailyLimit: 1000 });
    const assertion = jwt.sign({}, keyPair().privateKey, { algorithm: 'RS256', issuer: CONSUMER_KEY, subject: SF_USER, audience: fake.baseUrl, expiresIn: 60 });
    const res = await fetch(`${fake.baseUrl}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
    });
    const answer = (await res.json()) as { access_token: string; instance_url: string; token_type: string };
    expect(answer).to.include({ instance_url: fake.baseUrl, token_type: 'Bearer' });
    token = answer.access_token;
  });
  after(async () => fake.stop());

  it('refuses an unsigned assertion, a wrong audience and an unknown token', async () => {
    const unsigned = jwt.sign({}, 'not-the-key', { algorithm: 'HS256', issuer: CONSUMER_KEY, subject: SF_USER, audience: fake.baseUrl });
    const wrongAud = jwt.sign({}, keyPair().privateKey, { algorithm: 'RS256', issuer: CONSUMER_KEY, subject: SF_USER, audience: 'https://elsewhere' });
    for (const assertion of [unsigned, wrongAud]) {
      const res = await fetch(`${fake.baseUrl}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
      });
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { error: string }).error).to.equal('invalid_grant');
    }
    const r = await call('GET', '/limits', undefined, 'nope');
    expect(r.status).to.equal(401);
    expect(r.body).to.deep.equal([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
  });

  it('single-record upsert: 201 created, then 200 updated, same id; Sforce-Limit-Info on the answer', async () => {
    const first = await call('PATCH', '/sobjects/PAYG_Account__c/AMT_Account_Number__c/ACC-1', { Status__c: 'active' });
    expect(first.status).to.equal(201);
    expect(first.headers.get('sforce-limit-info')).to.match(/^api-usage=\d+\/1000$/);
    const second = await call('PATCH', '/sobjects/PAYG_Account__c/AMT_Account_Number__c/ACC-1', { Status__c: 'suspended' });
    expect(second.status).to.equal(200);
    expect((second.body as { id: string }).id).to.equal((first.body as { id: string }).id);
    const read = await call('GET', `/sobjects/PAYG_Account__c/${(first.body as { id: string }).id}`);
    expect(read.body).to.include({ Status__c: 'suspended', AMT_Account_Number__c: 'ACC-1' });
  });

  it('collections: more than 200 records is a 400 EXCEEDED_ID_LIMIT; a missing external id is a per-record error', async () => {
    const many = Array.from({ length: 201 }, (_, i) => ({ attributes: { type: 'Account' }, AMT_Customer_Id__c: `x${i}` }));
    const tooMany = await call('PATCH', '/composite/sobjects/Account/AMT_Customer_Id__c', { allOrNone: false, records: many });
    expect(tooMany.status).to.equal(400);
    expect((tooMany.body as Array<{ errorCode: string }>)[0]!.errorCode).to.equal('EXCEEDED_ID_LIMIT');
    const mixed = await call('PATCH', '/composite/sobjects/Account/AMT_Customer_Id__c', {
      allOrNone: false,
      records: [
        { attributes: { type: 'Account' }, AMT_Customer_Id__c: 'ok-1', Name: 'A' },
        { attributes: { type: 'Account' }, Name: 'no external id' },
      ],
    });
    expect(mixed.status).to.equal(200);
    const [a, b] = mixed.body as Array<{ success: boolean; created?: boolean; errors: Array<{ statusCode: string }> }>;
    expect(a).to.include({ success: true, created: true });
    expect(b!.success).to.equal(false);
    expect(b!.errors[0]!.statusCode).to.equal('MISSING_ARGUMENT');
  });

  it('SOQL: filters on SystemModstamp, orders, and pages with nextRecordsUrl', async () => {
    const since = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (let i = 0; i < 3; i++) await call('PATCH', `/sobjects/Account/AMT_Customer_Id__c/q${i}`, { Name: `Q ${i}` });
    const q = encodeURIComponent(
      `SELECT Id, Name, SystemModstamp FROM Account WHERE AMT_Customer_Id__c != null AND SystemModstamp > ${since} ORDER BY SystemModstamp, Id`,
    );
    const first = await call('GET', `/query?q=${q}`);
    const page = first.body as { totalSize: number; done: boolean; nextRecordsUrl?: string; records: Array<{ Name: string }> };
    expect(page.done).to.equal(false);
    expect(page.records).to.have.length(2);
    const names = page.records.map((r) => r.Name);
    let next = page.nextRecordsUrl;
    while (next) {
      const res = await fetch(`${fake.baseUrl}${next}`, { headers: { Authorization: `Bearer ${token}` } });
      const p = (await res.json()) as typeof page;
      names.push(...p.records.map((r) => r.Name));
      next = p.nextRecordsUrl;
    }
    expect(names).to.include.members(['Q 0', 'Q 1', 'Q 2']);
    expect(names.length).to.equal(page.totalSize);
    const bad = await call('GET', `/query?q=${encodeURIComponent('DELETE FROM Account')}`);
    expect(bad.status).to.equal(400);
  });

  it('past the daily limit every call is 403 REQUEST_LIMIT_EXCEEDED', async () => {
    fake.apiUsed = fake.dailyLimit;
    const r = await call('GET', '/limits');
    expect(r.status).to.equal(403);
    expect((r.body as Array<{ errorCode: string }>)[0]!.errorCode).to.equal('REQUEST_LIMIT_EXCEEDED');
    fake.apiUsed = 0;
  });
});
