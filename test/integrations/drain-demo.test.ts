import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { demoLogin, startDemo, stopDemo, waitForDrain, type DemoServer } from '../support/demo-server';

type Api = Awaited<ReturnType<typeof demoLogin>>;

/** The demo (SQLite, no Redis): the in-process runner drains the outbox into the log driver. */
describe('integrations: the drain in the demo (SQLite, in-process jobs, log driver)', function () {
  this.timeout(240_000);
  let dir: string;
  let server: DemoServer | undefined;
  let finance: Api;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amt-drain-demo-'));
    server = await startDemo(path.join(dir, 'demo.sqlite'), { SYNC_POLL_INTERVAL_SECONDS: '1' });
    finance = await demoLogin(server.base, 'finance@amt.local');
  });

  after(async () => {
    if (server && server.child.exitCode === null) await stopDemo(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const drained = () => waitForDrain(server!, finance, { attempts: 300, intervalMs: 200 });

  it("drains the demo portfolio's outbox and then a new payment's rows, to both targets", async () => {
    const first = await drained();
    expect(first.map((t) => [t.target, t.driver, t.dead])).to.deep.equal([
      ['netsuite', 'log', 0],
      ['salesforce', 'log', 0],
    ]);
    let account: { id: number } | undefined;
    for (let id = 1; !account && id < 50; id++) {
      const res = await finance('GET', `/accounts/${id}`);
      if (res.status === 200 && res.body.status === 'active') account = res.body;
    }
    expect(account, 'an active demo account').to.not.equal(undefined);
    const paid = await finance(
      'POST',
      '/payments',
      { accountId: account!.id, amount: '10.00', paymentType: 'CASH', channel: 'cash', transactionRef: `DRAIN-DEMO-${Date.now()}` },
      { 'Idempotency-Key': `drain-demo-${Date.now()}` },
    );
    expect(paid.status, JSON.stringify(paid.body)).to.equal(201);
    const after = await drained();
    for (const t of after) expect(Date.parse(t.lastSuccessAt!)).to.be.at.least(Date.parse(first.find((f) => f.target === t.target)!.lastSuccessAt!));
    expect(server!.output()).to.not.match(/"level":(50|60)/);
  });
});
