import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { Account } from '../../src/modules/accounts/models';
import { Payplan } from '../../src/modules/catalogue/models';
import { CollectionCase, PromiseToPay } from '../../src/modules/collections/models';
import { POLICY_SETTING } from '../../src/modules/collections/policy';
import { SystemSetting } from '../../src/modules/organisation/reference.models';
import { addDays } from '../../src/platform/dates';
import { Random } from '../../src/platform/random';
import { createEmployee, testRuntime } from '../support/app';
import { expectBooksBalanced } from '../support/lending';
import { freshMarket, payNow } from '../operations/support';
import { CLOSED, NEXT, caseChanges, caseOf, closeDay, collectionTables, lateAccount } from './support';

describe('collections: the nightly close opens, judges, escalates and closes cases', () => {
  it('opens a case at the DPD threshold, assigns the agent first and then the region staff round robin', async () => {
    const market = await freshMarket();
    const agent = await createEmployee('agent', { regionIds: [market.region.id] });
    const gone = await createEmployee('agent', { regionIds: [market.region.id], isActive: false });
    const elsewhere = await createEmployee('agent', { regionIds: [] });
    const staff = [
      await createEmployee('collections', { regionIds: [market.region.id] }),
      await createEmployee('collections', { regionIds: [market.region.id] }),
    ];
    const own = await lateAccount(market, 10, { agentId: agent.employee.id });
    const inactiveAgent = await lateAccount(market, 12, { agentId: gone.employee.id });
    const otherRegionAgent = await lateAccount(market, 8, { agentId: elsewhere.employee.id });
    const none = await lateAccount(market, 9);
    const early = await lateAccount(market, 3, { agentId: agent.employee.id });
    const current = await lateAccount(market, 0);

    const summary = await closeDay(market, CLOSED);
    expect(summary.counts).to.include({ 'collections.casesOpened': 4, 'collections.casesAssigned': 4, 'collections.casesClosed': 0 });

    expect(await caseOf(early.id)).to.deep.equal([]);
    expect(await caseOf(current.id)).to.deep.equal([]);
    const [c1] = await caseOf(own.id);
    expect(c1).to.include({ assignedTo: agent.employee.id, status: 'open', openedOn: NEXT, daysPastDueAtOpen: 10, daysPastDue: 10, openAccountId: own.id });
    expect(c1!.amountAtRisk).to.equal('900.00');
    // 10 per DPD + 1 per 100 at risk + 5 per day without contact (0 on the day it opens).
    expect(c1).to.include({ priorityScore: 10 * 10 + 9, priority: 'normal' });
    const staffIds = staff.map((s) => s.employee.id);
    const others = [...(await caseOf(inactiveAgent.id)), ...(await caseOf(otherRegionAgent.id)), ...(await caseOf(none.id))];
    for (const c of others) expect(staffIds[Number(c.id) % 2]).to.equal(c.assignedTo);
    expect(new Set(others.map((c) => c.assignedTo)).size).to.equal(2);
  });

  it('closes the case when the account is current again', async () => {
    const market = await freshMarket();
    const account = await lateAccount(market, 10);
    await closeDay(market, CLOSED);
    expect((await caseOf(account.id))[0]).to.include({ status: 'open' });
    await payNow(account.id, '180.00'); // both instalments due (11-11 and 11-18): current
    const summary = await closeDay(market, NEXT);
    expect(summary.counts['collections.casesClosed']).to.equal(1);
    const [c] = await caseOf(account.id);
    expect(c).to.include({ status: 'closed', closedOn: addDays(NEXT, 1), resolution: 'account current', openAccountId: null });
    await expectBooksBalanced([account.id]);
  });

  it('judges promises whose date has passed: kept (payment linked), partly kept, broken; two broken escalate', async () => {
    const market = await freshMarket();
    const kept = await lateAccount(market, 10);
    const partly = await lateAccount(market, 10);
    const broken = await lateAccount(market, 10);
    await closeDay(market, CLOSED);
    const promise = async (a: Account, date: string, amount = '90.00') => {
      const [c] = await caseOf(a.id);
      return PromiseToPay.create({ collectionCaseId: Number(c!.id), accountId: a.id, promisedAmount: amount, promisedDate: date, promisedOn: NEXT });
    };
    const pKept = await promise(kept, NEXT);
    const pPartly = await promise(partly, NEXT);
    const pBroken = await promise(broken, NEXT);
    const pLater = await promise(broken, addDays(NEXT, 1));
    await payNow(kept.id, '40.00');
    await payNow(kept.id, '60.00');
    await payNow(partly.id, '50.00');
    const summary = await closeDay(market, NEXT);
    expect(summary.counts).to.include({ 'collections.promisesKept': 1, 'collections.promisesPartlyKept': 1, 'collections.promisesBroken': 1 });
    await pKept.reload();
    const { sequelize } = await testRuntime();
    const [second] = await sequelize.query<{ id: number }>('SELECT id FROM payments WHERE accountId = ? AND amount = 60 ORDER BY id', {
      replacements: [kept.id],
      type: QueryTypes.SELECT,
    });
    expect(pKept).to.include({ status: 'kept', paidAmount: '100.00', paymentId: Number(second!.id), resolvedOn: addDays(NEXT, 1) });
    expect((await pPartly.reload()).toJSON()).to.include({ status: 'partly_kept', paidAmount: '50.00', paymentId: null });
    expect((await pBroken.reload()).toJSON()).to.include({ status: 'broken', paidAmount: '0.00' });
    expect((await pLater.reload()).toJSON()).to.include({ status: 'open' });
    const [bc] = await caseOf(broken.id);
    expect(bc).to.include({ brokenPromises: 1, status: 'promise', priority: 'high' });

    await closeDay(market, addDays(NEXT, 1));
    const [after] = await caseOf(broken.id);
    expect(after).to.include({
      brokenPromises: 2,
      status: 'repossession_review',
      escalatedOn: addDays(NEXT, 2),
      escalationReason: '2 broken promises',
      priority: 'urgent',
    });
    expect((await caseOf(kept.id))[0]).to.include({ status: 'open' });
  });

  it('escalates at the DPD threshold, with thresholds per country and per payplan from systemSettings', async () => {
    const market = await freshMarket();
    const deep = await lateAccount(market, 25, { daysUntilSuspension: 90 });
    const special = await lateAccount(market, 3);
    const plan = (await Payplan.findByPk(special.payplanId))!;
    const setting = await SystemSetting.create({
      key: POLICY_SETTING,
      value: JSON.stringify({ countries: { [market.country.code]: { escalateAtDpd: 20 } }, payplans: { [plan.code]: { openAtDpd: 2 } } }),
    });
    try {
      await closeDay(market, CLOSED);
    } finally {
      await setting.destroy();
    }
    expect((await caseOf(deep.id))[0]).to.include({ status: 'repossession_review', escalatedOn: NEXT, escalationReason: 'DPD 25', priority: 'urgent' });
    expect((await caseOf(special.id))[0]).to.include({ status: 'open', daysPastDue: 3, priority: 'low' });
  });

  it('property: a close run twice gives the same cases, promises and assignments (random portfolios)', async function () {
    this.timeout(120_000);
    for (const seed of [1, 2, 3]) {
      const rnd = new Random(seed);
      const market = await freshMarket();
      const agents = [await createEmployee('agent', { regionIds: [market.region.id] }), await createEmployee('collections', { regionIds: [market.region.id] })];
      const accounts: Account[] = [];
      for (let i = 0; i < 8; i++) {
        const agentId = rnd.chance(0.5) ? agents[rnd.int(0, 1)]!.employee.id : null;
        accounts.push(await lateAccount(market, rnd.int(0, 70), { agentId }));
      }
      await closeDay(market, CLOSED);
      // Promises on some cases, payments on some accounts, then the next day's close twice.
      for (const a of accounts) {
        const [c] = await caseOf(a.id);
        if (c && rnd.chance(0.7)) {
          await PromiseToPay.create({
            collectionCaseId: Number(c.id),
            accountId: a.id,
            promisedAmount: `${rnd.int(20, 200)}.00`,
            promisedDate: rnd.chance(0.7) ? NEXT : addDays(NEXT, 3),
            promisedOn: NEXT,
          });
        }
        if (rnd.chance(0.5)) await payNow(a.id, `${rnd.int(1, 400)}.00`);
      }
      await closeDay(market, NEXT);
      const once = await collectionTables(market);
      const feed = await caseChanges(market);
      const again = await closeDay(market, NEXT);
      expect(again.reRun, `seed ${seed}`).to.equal(true);
      expect(await collectionTables(market), `seed ${seed}`).to.deep.equal(once);
      // ...and writes no case (a written case is a change the agents' feed sends).
      expect(await caseChanges(market), `seed ${seed}: changeLog rows of its cases`).to.equal(feed);
      expect(once.cases.length, `seed ${seed}: some cases`).to.be.greaterThan(0);
    }
  });

  it('is a registered close step: its counts land in the finalize run', async () => {
    const market = await freshMarket();
    await lateAccount(market, 15);
    const summary = await closeDay(market, CLOSED);
    expect(summary.counts).to.have.property('collections.ms');
    expect(
      await CollectionCase.count({ where: { openAccountId: (await Account.findAll({ where: { regionId: market.region.id } })).map((a) => a.id) } }),
    ).to.equal(1);
  });
});
