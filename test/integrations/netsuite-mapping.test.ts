import { expect } from 'chai';
import { api, loginAs } from '../support/app';
import { createMarket } from '../support/lending';

describe('reference data: the NetSuite subsidiaries and chart mapping', () => {
  let admin: Record<string, string>;
  let agent: Record<string, string>;
  before(async () => {
    admin = { Authorization: `Bearer ${(await loginAs('back_office')).token}` };
    agent = { Authorization: `Bearer ${(await loginAs('agent')).token}` };
  });

  it('a country gets one subsidiary (409 for a second); ledger codes map to NetSuite accounts once per country; unknown codes and bad ids are 400 naming the field', async () => {
    const { country } = await createMarket();
    const http = await api();
    const sub = await http.post('/api/v1/netsuite-subsidiaries').set(admin).send({ countryId: country.id, subsidiaryId: '7' });
    expect(sub.status, JSON.stringify(sub.body)).to.equal(201);
    expect(sub.body).to.include({ countryId: country.id, subsidiaryId: '7', isActive: true, version: 0 });
    expect((await http.post('/api/v1/netsuite-subsidiaries').set(admin).send({ countryId: country.id, subsidiaryId: '8' })).status).to.equal(409);
    const missing = await http.post('/api/v1/netsuite-subsidiaries').set(admin).send({ countryId: 999_999_999, subsidiaryId: '8' });
    expect(missing.status).to.equal(400);
    expect(JSON.stringify(missing.body)).to.include('countryId');

    const m = await http.post('/api/v1/netsuite-account-mappings').set(admin).send({ countryId: country.id, ledgerCode: '4100', netsuiteAccountId: '345' });
    expect(m.status, JSON.stringify(m.body)).to.equal(201);
    expect(
      (await http.post('/api/v1/netsuite-account-mappings').set(admin).send({ countryId: country.id, ledgerCode: '4100', netsuiteAccountId: '346' })).status,
    ).to.equal(409);
    const unknown = await http.post('/api/v1/netsuite-account-mappings').set(admin).send({ countryId: country.id, ledgerCode: '9999', netsuiteAccountId: '1' });
    expect(unknown.status).to.equal(400);
    expect(JSON.stringify(unknown.body)).to.include('ledgerCode 9999 is not in the chart of accounts');
    const badId = await http.post('/api/v1/netsuite-account-mappings').set(admin).send({ countryId: country.id, ledgerCode: '4200', netsuiteAccountId: 'abc' });
    expect(badId.status).to.equal(400);
    expect(JSON.stringify(badId.body)).to.include('netsuiteAccountId');

    const changed = await http.patch(`/api/v1/netsuite-account-mappings/${m.body.id}`).set(admin).set('If-Match', '"0"').send({ netsuiteAccountId: '347' });
    expect(changed.status, JSON.stringify(changed.body)).to.equal(200);
    expect(changed.body).to.include({ netsuiteAccountId: '347', version: 1 });
    expect((await http.patch(`/api/v1/netsuite-account-mappings/${m.body.id}`).set(admin).set('If-Match', '"1"').send({ ledgerCode: '4200' })).status).to.equal(
      400,
    );

    const listed = await http.get('/api/v1/netsuite-account-mappings').query({ countryId: country.id }).set(admin);
    expect(listed.status).to.equal(200);
    expect(listed.body.data.map((r: { ledgerCode: string }) => r.ledgerCode)).to.deep.equal(['4100']);

    const asAgent = await http.post('/api/v1/netsuite-account-mappings').set(agent).send({ countryId: country.id, ledgerCode: '4200', netsuiteAccountId: '1' });
    expect(asAgent.status).to.equal(403);
  });
});
