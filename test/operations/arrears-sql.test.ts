import { expect } from 'chai';
import fc from 'fast-check';
import { QueryTypes } from 'sequelize';
import { accountDaysPastDue, installmentStatus, parBucket } from '../../src/modules/accounts/arrears';
import { Account, InstallmentSchedule, type AccountStatus, type InstallmentStatus } from '../../src/modules/accounts/models';
import { CloseDayService } from '../../src/modules/operations/close-day.service';
import { addDays } from '../../src/platform/dates';
import { toMoneyString } from '../../src/platform/money';
import { testRuntime } from '../support/app';
import { openAccount } from '../support/lending';
import { CLOSED, NEXT, freshMarket } from './support';

interface RandomInstallment {
  dueOffset: number;
  amountCents: number;
  paid: 'none' | 'all' | 'part';
  partCents: number;
  staleBy: number;
  waived: boolean;
}

const installment = fc.record({
  dueOffset: fc.oneof(fc.integer({ min: -120, max: 20 }), fc.constantFrom(-1, 0, 1, -30, -31, -60, -61, -90, -91)),
  amountCents: fc.integer({ min: 0, max: 5_000_000 }),
  paid: fc.constantFrom('none', 'all', 'part'),
  partCents: fc.integer({ min: 1, max: 5_000_000 }),
  staleBy: fc.integer({ min: 0, max: 40 }),
  waived: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
});

/**
 * The close's set-based statements against the one definition in arrears.ts: random schedules
 * (amounts, partial and full payments, waivers, statuses as last evaluated some days earlier),
 * then the SQL of the close, then each account compared with daysPastDue/parBucket/installmentStatus.
 */
describe('nightly close: SQL matches arrears.ts on random schedules', () => {
  it('gives the same overdue flags, DPD and PAR buckets as arrears.ts', async function () {
    this.timeout(120_000);
    const rt = await testRuntime();
    const market = await freshMarket();
    const accounts: Account[] = [];
    for (let i = 0; i < 25; i++) accounts.push(await openAccount(market, { startDate: CLOSED }));
    const ids = accounts.map((a) => a.id);
    const service = new CloseDayService(rt.sequelize, { chunkSize: 7 });
    const target = await service.targetOf(market.country.id, CLOSED);

    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(installment, { minLength: 1, maxLength: 9 }), { minLength: ids.length, maxLength: ids.length }),
        // pending (down payment unpaid) carries no arrears; active and suspended do.
        fc.array(fc.constantFrom<AccountStatus>('pending', 'active', 'suspended'), { minLength: ids.length, maxLength: ids.length }),
        async (schedules, accountStatuses) => {
          await rt.sequelize.query('DELETE FROM installmentSchedules WHERE accountId IN (:ids)', { replacements: { ids } });
          for (const status of new Set(accountStatuses)) {
            await Account.update({ lastNightlyBusinessDate: null, status, daysPastDue: 999, parBucket: '90+' }, { where: { id: ids.filter((_, k) => accountStatuses[k] === status) } });
          }
          const before = new Map<number, { n: number; dueDate: string; amount: string; paidAmount: string; status: InstallmentStatus }[]>();
          const rows = schedules.flatMap((schedule, k) => {
            const list = schedule.map((r: RandomInstallment, n) => {
              const dueDate = addDays(NEXT, r.dueOffset);
              const amount = toMoneyString(r.amountCents / 100);
              const paidCents = r.paid === 'none' ? 0 : r.paid === 'all' ? r.amountCents : Math.min(r.partCents, Math.max(r.amountCents - 1, 0));
              const paidAmount = toMoneyString(paidCents / 100);
              const status: InstallmentStatus = r.waived ? 'waived' : installmentStatus({ dueDate, amount, paidAmount }, addDays(NEXT, -r.staleBy));
              return { n, dueDate, amount, paidAmount, status };
            });
            before.set(ids[k]!, list);
            return list.map((i) => ({ accountId: ids[k]!, installmentNumber: i.n, dueDate: i.dueDate, amount: i.amount, paidAmount: i.paidAmount, status: i.status }));
          });
          await InstallmentSchedule.bulkCreate(rows);

          await service.runPartition(target, { index: 1, total: 1, fromId: Math.min(...ids), toId: Math.max(...ids) });

          const after = await rt.sequelize.query<{ id: number; daysPastDue: number; parBucket: string; lastNightlyBusinessDate: string }>(
            'SELECT id, daysPastDue, parBucket, lastNightlyBusinessDate FROM accounts WHERE id IN (:ids)',
            { replacements: { ids }, type: QueryTypes.SELECT },
          );
          const statuses = await InstallmentSchedule.findAll({ where: { accountId: ids }, order: [['accountId', 'ASC'], ['installmentNumber', 'ASC']] });
          for (const a of after) {
            const list = before.get(Number(a.id))!;
            const dpd = accountDaysPastDue(accountStatuses[ids.indexOf(Number(a.id))]!, list, NEXT);
            expect({ dpd: a.daysPastDue, bucket: a.parBucket, date: a.lastNightlyBusinessDate }, `account ${a.id}: ${JSON.stringify(list)}`).to.deep.equal({ dpd, bucket: parBucket(dpd), date: NEXT });
            const got = statuses.filter((s) => s.accountId === Number(a.id)).map((s) => s.status);
            const want = list.map((i) => (i.status === 'waived' ? 'waived' : installmentStatus(i, NEXT)));
            expect(got, `statuses of account ${a.id}: ${JSON.stringify(list)}`).to.deep.equal(want);
          }
        },
      ),
      { numRuns: 10 },
    );
  });

  it('the database refuses an unpaid status on an instalment that owes nothing (the close reads DPD from the status alone)', async () => {
    await testRuntime();
    const market = await freshMarket();
    const account = await openAccount(market, { startDate: CLOSED });
    const first = (await InstallmentSchedule.findOne({ where: { accountId: account.id }, order: [['installmentNumber', 'DESC']] }))!;
    for (const status of ['pending', 'partial', 'overdue'] as const) {
      let refused: unknown;
      try {
        await InstallmentSchedule.update({ status, paidAmount: first.amount }, { where: { id: first.id } });
      } catch (err) {
        refused = err;
      }
      expect(refused, status).to.be.instanceOf(Error);
      expect(String((refused as Error).message)).to.match(/installmentSchedules_unpaid_owes/);
    }
    await InstallmentSchedule.update({ status: 'paid', paidAmount: first.amount }, { where: { id: first.id } });
    const after = (await InstallmentSchedule.findByPk(first.id))!;
    expect({ status: after.status, paidAmount: after.paidAmount }).to.deep.equal({ status: 'paid', paidAmount: first.amount });
  });
});
