import { expect } from 'chai';
import { api } from '../support/app';

describe('health and readiness', () => {
  it('GET /healthz answers while the process is up', async () => {
    const res = await (await api()).get('/healthz').expect(200);
    expect(res.body).to.deep.equal({ status: 'ok' });
  });

  it('GET /readyz reports the database and Redis reachable', async () => {
    const res = await (await api()).get('/readyz').expect(200);
    expect(res.body).to.deep.equal({ status: 'ready', checks: { database: 'ok', redis: 'ok' } });
  });
});
