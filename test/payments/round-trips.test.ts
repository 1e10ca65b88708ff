import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { MobileMoneyTransaction } from '../../src/modules/payments/models';
import { api, loginAs } from '../support/app';
import { createMarket, expectBooksBalanced, openAccount, type Market } from '../support/lending';
import { recordStatements, type RecordedCommand } from '../support/statements';
import { accountWithDevice } from '../devices/support';
import { c2bBody, newCallbackClient, sendAs, type CallbackClient } from '../fakes/mpesa';

const show = (commands: RecordedCommand[]) => commands.map((c, i) => `${i + 1} ${c.command} ${c.sql.slice(0, 200)}`).join('\n');

describe('database round trips of the money paths', () => {
  let market: Market;
  let token: string;
  let adminToken: string;
  let daraja: CallbackClient;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token } = await loginAs('finance'));
    ({ token: adminToken } = await loginAs('admin'));
    daraja = await newCallbackClient();
  });

  async function pay(accountId: number, amount: string) {
    return (await api())
      .post('/api/v1/payments')
      .set('Authorization', `Bearer ${token}`)
      .set('Idempotency-Key', randomUUID())
      .send({ accountId, amount, paymentType: 'MPESA', channel: 'mobile_money', transactionRef: `TX${randomUUID().slice(0, 10)}` });
  }

  it('POST /payments over two instalments takes at most 12 (BEGIN and COMMIT included)', async () => {
    const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly', startDate: '2026-11-20' });
    expect((await pay(account.id, '100.00')).status).to.equal(201);
    const { result, commands } = await recordStatements(() => pay(account.id, '350.00'));
    expect(result.status).to.equal(201);
    expect(commands.length, show(commands)).to.be.at.most(12);
    await expectBooksBalanced([account.id]);
  });

  // A model's INSERT is prepared once per pooled connection (then executed): those prepares are not counted.
  it('an M-Pesa confirmation for an account with a device (stored, posted, token minted, SMS queued) takes at most 9 besides prepares', async () => {
    const { account } = await accountWithDevice(market, adminToken, {
      price: '1000.00',
      downPayment: '100.00',
      duration: 3,
      frequency: 'weekly',
      startDate: '2026-11-20',
    });
    expect((await sendAs(daraja, '/mobile-money/mpesa/confirmation', c2bBody({ billRef: account.accountNumber, amount: '100.00' }))).status).to.equal(200);
    const body = c2bBody({ billRef: account.accountNumber, amount: '350.00' });
    const { result, commands } = await recordStatements(() => sendAs(daraja, '/mobile-money/mpesa/confirmation', body));
    expect(result.status).to.equal(200);
    expect((await MobileMoneyTransaction.findOne({ where: { transactionId: body.TransID } }))!.status).to.equal('posted');
    expect(commands.filter((c) => c.command !== 'Prepare').length, show(commands)).to.be.at.most(9);
    await expectBooksBalanced([account.id]);
  });
});
