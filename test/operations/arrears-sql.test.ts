import { expect } from 'chai';
import fc from 'fast-check';
import { QueryTypes } from 'sequelize';
import { accountDaysPastDue, installmentStatus, parBucket } from '../../src/modules/accounts/arrears';
import { Account, AccountStatusHistory, InstallmentSchedule, type AccountStatus, type InstallmentStatus } from '../../src/modules/accounts/models';
import { catchUpNightly } from '../../src/modules/accounts/nightly-step';
import { nextAccountState } from '../../src/modules/accounts/status';
import { Payplan } from '../../src/modules/catalogue/models';
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
 * The close's set-based statements against the one definition in arrears.ts and status.ts: random
 * schedules (amounts, partial and full payments, waivers, statuses as last evaluated some days
 * earlier), account statuses and suspension limits, then the SQL of the close on some accounts
 * and the TypeScript catch-up (catchUpNightly, what a payment or balance change runs first) on
 * twins with the same schedules; each account compared with daysPastDue/parBucket/
 * installmentStatus and nextAccountState(..., 'close'), and each twin with its SQL account.
 */
describe('nightly close: SQL matches arrears.ts on random schedules', () => {
  it('gives the same overdue flags, DPD, PAR buckets and suspensions as arrears.ts, status.ts and the TypeScript catch-up', async function () {
    this.timeout(180_000);
    const rt = await testRuntime();
    const market = await freshMarket();
    const accounts: Account[] = [];
    for (let i = 0; i < 25; i++) accounts.push(await openAccount(market, { startDate: CLOSED }));
    const ids = accounts.map((a) => a.id);
    // Opened after, so outside the SQL's id range: the same accounts, closed by catchUpNightly.
    const twins: Account[] = [];
    for (let i = 0; i < 25; i++) twins.push(await openAccount(market, { startDate: CLOSED }));
    const twinIds = twins.map((a) => a.id);
    const service = new CloseDayService(rt.sequelize, { chunkSize: 7 });
    const target = await service.targetOf(market.country.id, CLOSED);

    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(installment, { minLength: 1, maxLength: 9 }), { minLength: ids.length, maxLength: ids.length }),
        // pending (down payment unpaid) carries no arrears; active and suspended do.
        fc.array(fc.constantFrom<AccountStatus>('pending', 'active', 'suspended'), { minLength: ids.length, maxLength: ids.length }),
        // The plan's days until suspension, around the DPDs the schedules give.
        fc.array(fc.oneof(fc.integer({ min: 0, max: 130 }), fc.constantFrom(0, 1, 14, 30)), { minLength: ids.length, maxLength: ids.length }),
        async (schedules, accountStatuses, limits) => {
          await rt.sequelize.query('DELETE FROM installmentSchedules WHERE accountId IN (:ids)', { replacements: { ids: [...ids, ...twinIds] } });
          for (const status of new Set(accountStatuses)) {
            const where = (list: number[]) => list.filter((_, k) => accountStatuses[k] === status);
            await Account.update(
              { lastNightlyBusinessDate: null, status, daysPastDue: 999, parBucket: '90+' },
              { where: { id: [...where(ids), ...where(twinIds)] } },
            );
          }
          for (const [k, limit] of limits.entries()) {
            await Payplan.update({ daysUntilSuspension: limit }, { where: { id: [accounts[k]!.payplanId, twins[k]!.payplanId] } });
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
            return [ids[k]!, twinIds[k]!].flatMap((accountId) =>
              list.map((i) => ({ accountId, installmentNumber: i.n, dueDate: i.dueDate, amount: i.amount, paidAmount: i.paidAmount, status: i.status })),
            );
          });
          await InstallmentSchedule.bulkCreate(rows);

          await service.runPartition(target, { index: 1, total: 1, fromId: Math.min(...ids), toId: Math.max(...ids) });
          for (const [k, id] of twinIds.entries()) {
            await rt.sequelize.transaction(async (t) => {
              const twin = (await Account.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
              await catchUpNightly(twin, { daysUntilSuspension: limits[k]! }, NEXT, t);
              await twin.save({ transaction: t });
            });
          }

          const read = (list: number[]) =>
            rt.sequelize.query<{ id: number; status: AccountStatus; daysPastDue: number; parBucket: string; lastNightlyBusinessDate: string }>(
              'SELECT id, status, daysPastDue, parBucket, lastNightlyBusinessDate FROM accounts WHERE id IN (:list) ORDER BY id',
              { replacements: { list }, type: QueryTypes.SELECT },
            );
          const after = await read(ids);
          const twinsAfter = await read(twinIds);
          const statuses = await InstallmentSchedule.findAll({
            where: { accountId: [...ids, ...twinIds] },
            order: [
              ['accountId', 'ASC'],
              ['installmentNumber', 'ASC'],
            ],
          });
          for (const a of after) {
            const k = ids.indexOf(Number(a.id));
            const list = before.get(Number(a.id))!;
            const dpd = accountDaysPastDue(accountStatuses[k]!, list, NEXT);
            expect({ dpd: a.daysPastDue, bucket: a.parBucket, date: a.lastNightlyBusinessDate }, `account ${a.id}: ${JSON.stringify(list)}`).to.deep.equal({
              dpd,
              bucket: parBucket(dpd),
              date: NEXT,
            });
            const got = statuses.filter((s) => s.accountId === Number(a.id)).map((s) => s.status);
            const want = list.map((i) => (i.status === 'waived' ? 'waived' : installmentStatus(i, NEXT)));
            expect(got, `statuses of account ${a.id}: ${JSON.stringify(list)}`).to.deep.equal(want);

            const next = nextAccountState(
              {
                status: accountStatuses[k]!,
                activationDate: null,
                balance: '0.00',
                installments: list.filter((i) => !['paid', 'waived'].includes(i.status)).map((i) => ({ ...i, installmentNumber: i.n })),
                daysUntilSuspension: limits[k]!,
                businessDate: NEXT,
              },
              'close',
            );
            const state = { status: a.status, dpd: a.daysPastDue, bucket: a.parBucket, date: a.lastNightlyBusinessDate };
            const context = `account ${a.id} (${accountStatuses[k]}, limit ${limits[k]}): ${JSON.stringify(list)}`;
            expect(state, `SQL vs status.ts, ${context}`).to.deep.equal({ status: next.status, dpd: next.daysPastDue, bucket: next.parBucket, date: NEXT });
            const twin = twinsAfter[k]!;
            expect(
              { status: twin.status, dpd: twin.daysPastDue, bucket: twin.parBucket, date: twin.lastNightlyBusinessDate },
              `catchUpNightly vs SQL, ${context}`,
            ).to.deep.equal(state);
            const twinGot = statuses.filter((s) => s.accountId === twin.id).map((s) => s.status);
            expect(twinGot, `instalment statuses, catchUpNightly vs SQL, ${context}`).to.deep.equal(got);
          }
          // Each suspension is in the status history, the same from both paths.
          const histories = await AccountStatusHistory.findAll({ where: { accountId: [...ids, ...twinIds], businessDate: NEXT }, order: [['id', 'ASC']] });
          const changes = (list: number[]) =>
            list.map((id) =>
              histories
                .filter((h) => h.accountId === id)
                .map((h) => `${h.previousStatus}->${h.newStatus}: ${(h.reason ?? '').replace(/^nightly close: /, '')}`),
            );
          expect(changes(twinIds)).to.deep.equal(changes(ids));
          await AccountStatusHistory.destroy({ where: { accountId: [...ids, ...twinIds], businessDate: NEXT } });
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
