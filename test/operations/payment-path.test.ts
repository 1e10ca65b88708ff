import { expect } from 'chai';
import { Account, AccountStatusHistory, InstallmentSchedule } from '../../src/modules/accounts/models';
import { closeDayInline } from '../../src/modules/operations/close-day.jobs';
import { CloseDayService } from '../../src/modules/operations/close-day.service';
import { testRuntime } from '../support/app';
import { expectBooksBalanced, openAccount } from '../support/lending';
import { CLOSED, NEXT, freshMarket, payNow } from './support';

const plan = { price: '1000.00', downPayment: '100.00', duration: 4, frequency: 'weekly' as const, daysUntilSuspension: 14, startDate: '2026-10-30' };

async function state(accountId: number) {
  const a = (await Account.findByPk(accountId))!;
  const installments = await InstallmentSchedule.findAll({ where: { accountId }, order: [['installmentNumber', 'ASC']] });
  const history = await AccountStatusHistory.findAll({ where: { accountId }, order: [['id', 'ASC']] });
  return {
    account: { status: a.status, balance: a.balance, daysPastDue: a.daysPastDue, parBucket: a.parBucket, lastNightlyBusinessDate: a.lastNightlyBusinessDate },
    installments: installments.map((i) => ({ n: i.installmentNumber, paidAmount: i.paidAmount, status: i.status, paidDate: i.paidDate })),
    history: history.map((h) => ({ from: h.previousStatus, to: h.newStatus, businessDate: h.businessDate })),
  };
}

/**
 * The close and the payment path's catch-up (src/modules/accounts/nightly-step.ts) are one
 * definition applied by two writers: whichever reaches an account first, the result is the same.
 */
describe('nightly close and the payment path agree', () => {
  for (const amount of ['100.00', '675.00']) {
    it(`a payment of ${amount} before the close reaches an account gives what the close then the payment gives`, async () => {
      const rt = await testRuntime();
      const market = await freshMarket();
      const early = await openAccount(market, plan);
      const late = await openAccount(market, plan);
      await payNow(early.id, '100.00');
      await payNow(late.id, '100.00');

      const service = new CloseDayService(rt.sequelize);
      const { target } = await service.begin(market.country.id, CLOSED);
      // Business date N is open; the close has not reached the accounts yet. One pays now:
      await payNow(early.id, amount);
      expect((await Account.findByPk(early.id))!.lastNightlyBusinessDate).to.equal(NEXT);
      for (const range of await service.partitions(target, 1)) await service.runPartition(target, range);
      await service.finish(target);
      // The other pays after the close.
      await payNow(late.id, amount);

      const a = await state(early.id);
      const b = await state(late.id);
      expect(a).to.deep.equal(b);
      expect(a.history.slice(2).map((h) => `${h.from}->${h.to}@${h.businessDate}`)).to.deep.equal(
        amount === '675.00' ? [`active->suspended@${NEXT}`, `suspended->active@${NEXT}`] : [`active->suspended@${NEXT}`],
      );
      await expectBooksBalanced([early.id, late.id]);
    });
  }

  it('leaves re-activation to the payment path: a suspended account whose arrears were paid is active before the next close, which keeps it so', async () => {
    const rt = await testRuntime();
    const market = await freshMarket();
    const cleared = await openAccount(market, plan);
    const behind = await openAccount(market, plan);
    await payNow(cleared.id, '100.00');
    await payNow(behind.id, '100.00');
    await closeDayInline(rt, market.country.id, CLOSED);
    expect((await Account.findByPk(cleared.id))!.status).to.equal('suspended');
    expect((await Account.findByPk(behind.id))!.status).to.equal('suspended');

    await payNow(cleared.id, '675.00'); // the three overdue instalments
    await payNow(behind.id, '225.00'); // one of three: still 8 days behind
    const paid = await state(cleared.id);
    expect(paid.account).to.include({ status: 'active', daysPastDue: 0, parBucket: 'current' });
    expect(paid.history.at(-1)).to.deep.equal({ from: 'suspended', to: 'active', businessDate: NEXT });

    await closeDayInline(rt, market.country.id, NEXT);
    const afterClose = await state(cleared.id);
    expect(afterClose.account).to.include({ status: 'active', daysPastDue: 0, lastNightlyBusinessDate: '2026-11-22' });
    expect(afterClose.history).to.deep.equal(paid.history);
    const stillBehind = await state(behind.id);
    expect(stillBehind.account).to.include({ status: 'suspended', daysPastDue: 9, lastNightlyBusinessDate: '2026-11-22' });
    expect(stillBehind.history.filter((h) => h.to === 'suspended')).to.have.length(1);
  });
});
